import type { KubernetesObject } from '@kubernetes/client-node';
import { MANAGED_BY, TENANT_LABELS } from '../domain/tenant-record.ts';
import { beforeWrite, callOptions } from './kube-call.ts';
import type { Kubernetes } from './kube-client.ts';
import { isConflict } from './kube-errors.ts';
import type { Observation } from './watch-until.ts';
import { watchUntil } from './watch-until.ts';

const BACKUPS = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'backups' } as const;

/** The Barman Cloud plugin, as CloudNativePG's Backup names it. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/** Who asked for a backup: a person through the API, or the offboarding before a purge. */
export const BACKUP_REQUESTED_BY = 'tenant-provisioner.io/requested-by';

/** The fields of a CloudNativePG `Backup` this service reads (status as the operator writes it). */
export type CnpgBackup = KubernetesObject & {
  spec?: { cluster?: { name?: string }; method?: string };
  status?: {
    phase?: string;
    startedAt?: string;
    stoppedAt?: string;
    backupId?: string;
    error?: string;
    beginWal?: string;
    endWal?: string;
    method?: string;
    online?: boolean;
  };
};

/** A backup as the API lists it. */
export type BackupSummary = {
  name: string;
  phase: string;
  requestedBy: string;
  method: string;
  createdAt: string | null;
  startedAt: string | null;
  stoppedAt: string | null;
  backupId: string | null;
  wal: { begin: string; end: string } | null;
  error: string | null;
};

export function backupSummary(b: CnpgBackup): BackupSummary {
  const s = b.status ?? {};
  return {
    name: b.metadata?.name ?? '',
    // The operator has not picked it up yet: CloudNativePG writes no phase until it does.
    phase: s.phase ?? 'pending',
    requestedBy: b.metadata?.labels?.[BACKUP_REQUESTED_BY] ?? (b.metadata?.ownerReferences?.some((o) => o.kind === 'ScheduledBackup') ? 'schedule' : 'unknown'),
    method: s.method ?? b.spec?.method ?? 'unknown',
    createdAt: b.metadata?.creationTimestamp ? new Date(b.metadata.creationTimestamp).toISOString() : null,
    startedAt: s.startedAt ?? null,
    stoppedAt: s.stoppedAt ?? null,
    backupId: s.backupId ?? null,
    wal: s.beginWal && s.endWal ? { begin: s.beginWal, end: s.endWal } : null,
    error: s.error ?? null,
  };
}

/** Finished (completed or failed) is done; anything else says what it is waiting on. */
export function backupFinished(b: CnpgBackup | undefined): Observation<BackupSummary> {
  if (!b) return { done: false, reason: 'backup object not found' };
  const summary = backupSummary(b);
  if (summary.phase === 'completed' || summary.phase === 'failed') return { done: true, value: summary };
  return { done: false, reason: `backup ${summary.name} ${summary.phase}` };
}

/** A tenant database's `Backup` objects: listed newest first, created once by name, waited on by watch. */
export function createTenantBackups(kube: Kubernetes) {
  const read = (namespace: string, name: string, signal?: AbortSignal) =>
    kube.custom.getNamespacedCustomObject({ ...BACKUPS, namespace, name }, callOptions(signal)) as Promise<CnpgBackup>;
  return {
    async list(namespace: string, cluster: string, signal?: AbortSignal): Promise<BackupSummary[]> {
      const list = (await kube.custom.listNamespacedCustomObject({ ...BACKUPS, namespace }, callOptions(signal))) as { items: CnpgBackup[] };
      return list.items
        .filter((b) => b.spec?.cluster?.name === cluster)
        .map(backupSummary)
        .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    },
    /** Creates an on-demand plugin backup; one that exists under this name (a retried step) is kept. Returns whether it was created now. */
    async create(input: { namespace: string; name: string; cluster: string; tenantId: string; requestedBy: string }, signal?: AbortSignal): Promise<boolean> {
      const body: CnpgBackup = {
        apiVersion: `${BACKUPS.group}/${BACKUPS.version}`,
        kind: 'Backup',
        metadata: {
          name: input.name,
          labels: { [TENANT_LABELS.managedBy]: MANAGED_BY, [TENANT_LABELS.tenantId]: input.tenantId, [BACKUP_REQUESTED_BY]: input.requestedBy },
        },
        spec: { cluster: { name: input.cluster }, method: 'plugin', pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN } } as CnpgBackup['spec'],
      };
      try {
        beforeWrite(signal);
        await kube.custom.createNamespacedCustomObject({ ...BACKUPS, namespace: input.namespace, body }, callOptions(signal));
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    },
    waitFinished: (namespace: string, name: string, o: { timeoutMs: number; signal?: AbortSignal; onChange?: (reason: string) => void }) =>
      watchUntil<CnpgBackup, BackupSummary>({
        watch: kube.watch,
        path: `/apis/${BACKUPS.group}/${BACKUPS.version}/namespaces/${namespace}/${BACKUPS.plural}`,
        name,
        read: () => read(namespace, name, o.signal),
        check: backupFinished,
        what: `backup ${name}`,
        ...o,
      }),
  };
}
export type TenantBackups = ReturnType<typeof createTenantBackups>;
