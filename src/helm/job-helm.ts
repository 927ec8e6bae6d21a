import type { HelmClient, HelmConnection } from './helm-client.ts';

/** A job's view of Helm: every call carries the job's signal, and the job can wait for its children. */
export type JobHelm = {
  helm: HelmClient;
  /** Resolves once every Helm process this view started has exited (cancelled ones included). */
  idle(): Promise<void>;
};

/**
 * Wraps the shared client for one job. A cancelled step stops waiting at once, but its Helm child
 * runs on for up to the kill grace after SIGTERM (it marks the release failed): the job must not
 * give its tenant's lease up before that child is gone, or the next holder's Helm meets it. When
 * the lease is lost (`lost` aborts) there is nothing left to give up: the children are SIGKILLed
 * at once, before the lease can expire in Redis, since another job may take the tenant then. Each
 * call's promise settles only once its process has exited (execa waits for it), so tracking the
 * calls tracks the children. Calls made without a signal (a rollback in a catch block, a
 * compensation) get `signal`, so no Helm call under a lease outlives the job's deadline.
 *
 * The kill comes when the worker's event loop runs: a child that resumes first (a whole process
 * group thawed after SIGSTOP) could still reach the API server. `fenced` sends every call through
 * the job's API fence (api-fence.ts), which refuses what arrives once the lease is no longer valid.
 */
export function jobHelm(shared: HelmClient, signal: AbortSignal, lost?: AbortSignal, fenced?: HelmConnection): JobHelm {
  const killable = lost && shared.withKillSwitch ? shared.withKillSwitch(lost) : shared;
  const helm = fenced ? killable.withConnection?.(fenced) : killable;
  // A fence the client cannot use would leave the children talking to the API server unfenced.
  if (!helm) throw new Error('this Helm client cannot be sent through an API fence');
  const running = new Set<Promise<unknown>>();
  const track = <T>(call: Promise<T>): Promise<T> => {
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    running.add(settled);
    void settled.then(() => running.delete(settled));
    return call;
  };
  const withJob = (own?: AbortSignal) => (own ? AbortSignal.any([own, signal]) : signal);

  return {
    helm: {
      upgradeInstall: (req) => track(helm.upgradeInstall({ ...req, signal: withJob(req.signal) })),
      template: (req) => track(helm.template({ ...req, signal: withJob(req.signal) })),
      status: (release, namespace, own) => track(helm.status(release, namespace, withJob(own))),
      history: (release, namespace, own) => track(helm.history(release, namespace, withJob(own))),
      manifest: (release, namespace, own) => track(helm.manifest(release, namespace, withJob(own))),
      rollback: (release, namespace, revision, own) => track(helm.rollback(release, namespace, revision, withJob(own))),
      uninstall: (release, namespace, own) => track(helm.uninstall(release, namespace, withJob(own))),
      // Shared by every job of the process (asked once); read-only, so its child needs no lease.
      version: (own) => track(helm.version(withJob(own))),
    },
    async idle() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
