import { z } from 'zod';
import { DatabaseSpec } from './database-generation.ts';
import { ClosedAccount } from './closed-account.ts';
import { PostgresParameters } from './postgres-parameters.ts';
import { ResourceOverrides } from './resource-overrides.ts';
import { Slot, StackImages } from './slots.ts';
import { ChartVersion } from './tenant-version.ts';
import type { TenantLabels } from './tenant-labels.ts';
import { TierName } from './tiers.ts';
import type { RunningVersion, VersionPin } from './tenant-version.ts';
import type { TemplateMark } from './tenant-template.ts';

/**
 * Kubernetes is the registry of tenants: a tenant exists when its namespace does, and the
 * namespace's labels and annotations below carry everything the service knows about it. The
 * tenant's own labels are namespace labels too, under LABEL_DOMAIN (tenant-labels.ts).
 */
export const TENANT_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  tenantId: 'tenant-provisioner.io/tenant-id',
  tier: 'tenant-provisioner.io/tier',
  /** "true" on a template (tenant-template.ts), so GET /api/templates is one label-selected list. */
  template: 'tenant-provisioner.io/template',
} as const;
export const MANAGED_BY = 'tenant-provisioner';

export const TENANT_ANNOTATIONS = {
  desiredState: 'tenant-provisioner.io/desired-state',
  operation: 'tenant-provisioner.io/operation',
  companyName: 'tenant-provisioner.io/company-name',
  ownerEmail: 'tenant-provisioner.io/owner-email',
  ownerName: 'tenant-provisioner.io/owner-name',
  customDomain: 'tenant-provisioner.io/custom-domain',
  stripeCustomerId: 'tenant-provisioner.io/stripe-customer-id',
  stripeSubscriptionId: 'tenant-provisioner.io/stripe-subscription-id',
  expiresAt: 'tenant-provisioner.io/expires-at',
  createdAt: 'tenant-provisioner.io/created-at',
  /** What the worker last deployed (tenant-version.ts); absent until a deploy records it. */
  runningVersion: 'tenant-provisioner.io/running-version',
  /** The version rollouts must leave the tenant on, with who pinned it and why. */
  versionPin: 'tenant-provisioner.io/version-pin',
  /** The template mark: its description, who marked it and when. */
  template: 'tenant-provisioner.io/template',
} as const;

/** What the tenant should look like; the worker converges the cluster to it. */
export const DesiredState = z.strictObject({
  tier: TierName,
  customDomain: z.string().nullable(),
  resourceOverrides: ResourceOverrides,
  hibernated: z.boolean(),
  /** The release the active slot runs; absent: the configured platform images. */
  images: StackImages.optional(),
  /** The slot the Services select; absent: the first (blue). */
  slot: Slot.optional(),
  /**
   * The slot switched away from, kept running for the switch window so a rollback is a selector
   * change: it must name the other slot. Absent outside a window.
   */
  previous: z.strictObject({ slot: Slot, images: StackImages, chartVersion: ChartVersion.optional() }).optional(),
  /** The tenant chart's version to install; absent: the configured chart. */
  chartVersion: ChartVersion.optional(),
  /** The tenant's own PostgreSQL settings, over its tier's; absent: none. */
  postgresParameters: PostgresParameters.optional(),
  /** The database the application should use (database-generation.ts); absent: the first, made by the provision. */
  database: DatabaseSpec.optional(),
  /** An account closed by a deprovision, kept until its purge (offboarding.ts); absent: open. */
  closed: ClosedAccount.optional(),
});
export type DesiredState = z.infer<typeof DesiredState>;

/**
 * `deprovision` closes the account (offboarding.ts) and, with a retention window of zero, purges it
 * in the same job; `purge` removes a tenant now (its window passed, or `force`); `undelete` reopens a
 * closed one.
 */
const OPERATION_TYPES = ['provision', 'deprovision', 'purge', 'undelete', 'update', 'hibernate', 'resume', 'rollback', 'restore'] as const;
export const OperationType = z.enum(OPERATION_TYPES);
export type OperationType = z.infer<typeof OperationType>;

/** Who asked for an operation, as far as the lifecycle needs to know. */
/** `retention`: a closed account's window passed (the expiry sweep purges it). */
export const OperationReason = z.enum(['api', 'billing', 'expiry', 'reconcile', 'rollout', 'retention']);
export type OperationReason = z.infer<typeof OperationReason>;

/** The last operation asked of a tenant and how it went, so status can tell provisioning from failed. */
export const OperationMarker = z.strictObject({
  type: OperationType,
  jobId: z.string(),
  state: z.enum(['queued', 'active', 'completed', 'failed']),
  /** Why it was asked: an expiry removal is re-checked against the expiry before it acts. */
  reason: OperationReason.optional(),
  step: z.string().optional(),
  message: z.string().optional(),
  at: z.iso.datetime(),
});
export type OperationMarker = z.infer<typeof OperationMarker>;

/** A tenant as read back from its namespace. */
export type TenantRecord = {
  tenantId: string;
  namespace: string;
  tier: TierName;
  companyName: string;
  ownerEmail: string;
  ownerName: string;
  customDomain: string | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  expiresAt: string | null;
  createdAt: string;
  desired: DesiredState;
  operation: OperationMarker | null;
  terminating: boolean;
  /** Optional so records built before versions were recorded (and tests' literals) stay valid: absent reads as null. */
  running?: RunningVersion | null;
  pin?: VersionPin | null;
  /** Present when the tenant is a template clones start from; absent reads as none. */
  template?: TemplateMark | null;
  /** The tenant's own labels (tenant-labels.ts), stored as namespace labels under our domain; absent reads as none. */
  labels?: TenantLabels;
};

/** Everything needed to record a new tenant's intent. */
export type NewTenant = Omit<TenantRecord, 'namespace' | 'operation' | 'terminating' | 'tier' | 'createdAt' | 'running' | 'pin' | 'template'> & {
  /** When the intent was recorded, by the intake's clock; defaults to now. */
  createdAt?: string;
  operation: OperationMarker;
};
