import type { WebhookReceipt } from '../../billing/stripe-webhook.ts';
import type { ProvisionRequest, UpdateRequest } from '../../domain/provision-request.ts';
import type { JobView } from '../../services/job-view.ts';
import type { ValidationReport } from '../../services/provision-validation.ts';
import type { FleetVersions } from '../../services/fleet-versions.ts';
import type { TenantList } from '../../services/tenant-listing.ts';
import type { PinRequest, RunningVersion, VersionPin } from '../../domain/tenant-version.ts';
import type { TenantStatus } from '../../services/tenant-status.ts';

// One example per request body and per success answer, typed by the schema each illustrates, so
// that an example cannot drift from its schema without failing to compile.

export const PROVISION_EXAMPLE = {
  companyName: 'Acme Auto Repair',
  ownerEmail: 'owner@acmeauto.com',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'professional',
  labels: { team: 'north' },
} satisfies ProvisionRequest;

export const UPDATE_EXAMPLE = { subscriptionTier: 'enterprise', resourceOverrides: { apiReplicas: 2 } } satisfies UpdateRequest;

export const VALIDATION_EXAMPLE: ValidationReport = {
  valid: false,
  errors: [{ path: 'customDomain', message: 'is already used by tenant bobs-garage-0c1d2e' }],
  warnings: ['no tenantId given: one will be generated from the company name'],
};

const RUNNING_EXAMPLE: RunningVersion = {
  chart: { name: 'mechanicbuddy-tenant', version: '0.1.0' },
  app: 'f44547f',
  images: {
    api: 'ghcr.io/mechanicbuddy/api:f44547f',
    web: 'ghcr.io/mechanicbuddy/web:f44547f',
    migrations: 'ghcr.io/mechanicbuddy/dbup:f44547f',
    postgres: 'ghcr.io/cloudnative-pg/postgresql:17.5',
  },
  valuesHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  revision: 3,
  at: '2026-03-01T12:00:40.000Z',
};

export const PIN_EXAMPLE = {
  version: { chart: '0.1.0', app: 'f44547f' },
  reason: 'Customer certifying the current release until 1 April',
} satisfies PinRequest;

export const VERSION_PIN_EXAMPLE: VersionPin = { ...PIN_EXAMPLE, pinnedBy: 'ops@example.com', pinnedAt: '2026-03-02T09:15:00.000Z' };

export const FLEET_EXAMPLE: FleetVersions = {
  target: { chart: '0.2.0', app: '5d1e2aa' },
  tenants: 9,
  onTarget: 6,
  versions: [
    { version: { chart: '0.2.0', app: '5d1e2aa' }, tenants: 6, pinned: 0, byTier: { demo: 1, free: 2, professional: 3, enterprise: 0 }, onTarget: true },
    { version: { chart: '0.1.0', app: 'f44547f' }, tenants: 2, pinned: 1, byTier: { demo: 0, free: 0, professional: 1, enterprise: 1 }, onTarget: false },
    { version: { chart: 'unknown', app: 'unknown' }, tenants: 1, pinned: 0, byTier: { demo: 0, free: 1, professional: 0, enterprise: 0 }, onTarget: false },
  ],
  pinned: [{ tenantId: 'acme-auto-3f9a1c', tier: 'enterprise', running: { chart: '0.1.0', app: 'f44547f' }, pin: VERSION_PIN_EXAMPLE, labels: {} }],
};

export const TENANT_STATUS_EXAMPLE: TenantStatus = {
  tenantId: 'acme-auto-3f9a1c',
  namespace: 'tenant-acme-auto-3f9a1c',
  tier: 'professional',
  phase: 'ready',
  ready: true,
  release: { status: 'deployed', revision: 1 },
  database: { ready: true, instances: 2, readyInstances: 2, phase: 'Cluster in healthy state' },
  api: { ready: true, replicas: 2, readyReplicas: 2 },
  web: { ready: true, replicas: 2, readyReplicas: 2 },
  certificate: { ready: true, reason: null, notAfter: '2026-05-30T12:02:10Z', renewalTime: '2026-04-30T12:02:10Z' },
  urls: { tenant: 'https://acme-auto-3f9a1c.mechanicbuddy.app', api: 'https://acme-auto-3f9a1c.mechanicbuddy.app/api', custom: null },
  customDomain: null,
  expiresAt: null,
  createdAt: '2026-03-01T12:00:00.000Z',
  stripeCustomerId: null,
  stripeSubscriptionId: null,
  operation: { type: 'provision', jobId: '0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d', state: 'completed', reason: 'api', at: '2026-03-01T12:01:30.000Z' },
  running: RUNNING_EXAMPLE,
  pin: null,
  closed: null,
  postgresql: { parameters: { max_connections: '150', work_mem: '8MB' }, own: { work_mem: '8MB' } },
  labels: { team: 'north' },
};

export const TENANT_LIST_EXAMPLE: TenantList = {
  items: [
    {
      tenantId: 'acme-auto-3f9a1c',
      namespace: 'tenant-acme-auto-3f9a1c',
      tier: 'professional',
      phase: 'ready',
      companyName: 'Acme Auto Repair',
      createdAt: '2026-03-01T12:00:00.000Z',
      expiresAt: null,
      version: { chart: '0.1.0', app: 'f44547f' },
      pin: VERSION_PIN_EXAMPLE,
      closed: null,
      labels: { team: 'north' },
    },
  ],
  nextCursor: null,
};

export const JOB_EXAMPLE: JobView = {
  jobId: '0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d',
  type: 'provision',
  tenantId: 'acme-auto-3f9a1c',
  state: 'active',
  attempt: 1,
  progress: { step: 'deploy-chart', stepIndex: 3, totalSteps: 8, percent: 38, message: 'Installing the tenant chart' },
  log: [{ timestamp: '2026-03-01T12:00:05.000Z', level: 'info', step: 'deploy-chart', message: 'helm upgrade --install started' }],
  result: null,
  error: null,
  createdAt: '2026-03-01T12:00:00.000Z',
  startedAt: '2026-03-01T12:00:01.000Z',
  finishedAt: null,
};

export const WEBHOOK_RECEIPT_EXAMPLE: WebhookReceipt = {
  received: true,
  eventId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
  type: 'customer.subscription.updated',
  outcome: 'processed',
  detail: 'active: professional → enterprise',
};

export const STRIPE_EVENT_EXAMPLE = {
  id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
  type: 'customer.subscription.updated',
  created: 1767225600,
  data: { object: { id: 'sub_1MowQVLkdIwHu7ixeRlqHVzs', object: 'subscription' } },
};

export const SSE_EXAMPLE = [
  'id: 1767225601000-0\nevent: progress\ndata: {"step":"deploy-chart","stepIndex":3,"totalSteps":8,"percent":38,"message":"Installing the tenant chart"}\n',
  'id: 1767225690000-0\nevent: completed\ndata: {"tenantId":"acme-auto-3f9a1c"}\n',
].join('\n');
