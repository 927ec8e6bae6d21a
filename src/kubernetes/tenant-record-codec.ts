import type { V1Namespace } from '@kubernetes/client-node';
import { DesiredState, MANAGED_BY, OperationMarker, TENANT_ANNOTATIONS as A, TENANT_LABELS as L, type TenantRecord } from '../domain/tenant-record.ts';
import { tenantLabelsOf } from '../domain/tenant-labels.ts';
import { TierName } from '../domain/tiers.ts';
import { RunningVersion, VersionPin } from '../domain/tenant-version.ts';
import { TemplateMark } from '../domain/tenant-template.ts';

/** The tenant a managed namespace records, or undefined for a namespace that is not a (readable) tenant. */
export function toTenantRecord(ns: V1Namespace): TenantRecord | undefined {
  const labels = ns.metadata?.labels ?? {};
  const annotations = ns.metadata?.annotations ?? {};
  const tier = TierName.safeParse(labels[L.tier]);
  const desired = safeJson(annotations[A.desiredState], DesiredState);
  if (labels[L.managedBy] !== MANAGED_BY || !labels[L.tenantId] || !tier.success || !desired) return undefined;
  return {
    tenantId: labels[L.tenantId] ?? '',
    namespace: ns.metadata!.name!,
    tier: tier.data,
    companyName: annotations[A.companyName] ?? '',
    ownerEmail: annotations[A.ownerEmail] ?? '',
    ownerName: annotations[A.ownerName] ?? '',
    customDomain: annotations[A.customDomain] ?? null,
    stripeCustomerId: annotations[A.stripeCustomerId] ?? null,
    stripeSubscriptionId: annotations[A.stripeSubscriptionId] ?? null,
    expiresAt: annotations[A.expiresAt] ?? null,
    createdAt: annotations[A.createdAt] ?? ns.metadata?.creationTimestamp?.toISOString() ?? '',
    desired,
    operation: safeJson(annotations[A.operation], OperationMarker) ?? null,
    terminating: Boolean(ns.metadata?.deletionTimestamp),
    labels: tenantLabelsOf(labels),
    // Present only when recorded; an unreadable record reads as none, so the version is unknown, never guessed.
    ...optional('running', safeJson(annotations[A.runningVersion], RunningVersion)),
    ...optional('pin', safeJson(annotations[A.versionPin], VersionPin)),
    ...optional('template', safeJson(annotations[A.template], TemplateMark)),
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

function safeJson<T>(text: string | undefined, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T | undefined {
  if (!text) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
