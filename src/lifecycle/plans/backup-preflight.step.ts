import type { BackupPreflight } from '../../backup/backup-preflight.ts';
import { PermanentError } from '../../worker/failure.ts';
import type { Step } from '../../worker/step-runner.ts';

/**
 * What the step asks of a tenant: nothing (gone, or a tier without backups), a gate (a failed check
 * fails the operation before the database's backup configuration is applied) or a warning (the
 * operation goes on: waking or sleeping a tenant never waits on its backup store).
 */
export type PreflightNeed = { kind: 'none'; why: string } | { kind: 'gate' | 'warn'; always: boolean };

/**
 * The backup store preflight as a plan step, placed after the tenant's Secrets exist (it probes
 * with the copy in the tenant's namespace) and before Helm applies the ObjectStore. A store that
 * does not answer is retried by the job's attempts; a refused key, a missing bucket or a denied
 * prefix fails for good with its remedy, not as a silent missing backup at the first WAL archive.
 */
export function backupPreflightStep(
  preflight: BackupPreflight,
  tenant: { tenantId: string; namespace: string },
  need: () => PreflightNeed,
  timeoutSeconds: number,
): Step {
  return {
    name: 'check-backup-store',
    timeoutSeconds,
    mutates: false,
    async run({ signal, note }) {
      const asked = need();
      if (asked.kind === 'none') return `skipped: ${asked.why}`;
      const outcome = await preflight.check(tenant, { always: asked.always }, signal);
      if (outcome.ok === 'remembered') return 'backup store passed its check in this process under this configuration';
      if (outcome.ok === 'not-probed') return `backup store not probed: ${outcome.reason}`;
      if (outcome.ok) return `backup store ${outcome.where}: marker written, read back and deleted with the tenant's credentials`;
      const { kind, message } = outcome.failure;
      if (asked.kind === 'warn') {
        await note(`${message}; backups of ${tenant.tenantId} will fail until it is fixed`, 'warn');
        return `backup store check failed (${kind}); going on`;
      }
      throw kind === 'unreachable' ? new Error(message) : new PermanentError(message);
    },
  };
}
