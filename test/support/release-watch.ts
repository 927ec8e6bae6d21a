import { Watch, type KubeConfig, type V1Secret } from '@kubernetes/client-node';

/**
 * Resolves as soon as Helm writes a release record with `status` (its storage Secret's label), seen
 * through a watch rather than a poll: a pending-* record can live for less time than one list call
 * takes while Helm applies a chart, and a kill must land inside that window. Start it before the
 * operation; `onSeen` runs the moment the record appears. Resolves false at the deadline.
 */
export function releaseStatusSeen(kc: KubeConfig, namespace: string, release: string, status: string, onSeen?: () => void, timeoutMs = 30_000) {
  let abort: (() => void) | undefined;
  let settle: (seen: boolean) => void = () => undefined;
  const seen = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => settle(false), timeoutMs);
    settle = (value) => {
      clearTimeout(timer);
      abort?.();
      resolve(value);
    };
  });
  const ready = new Watch(kc)
    .watch(
      `/api/v1/namespaces/${namespace}/secrets`,
      { labelSelector: `owner=helm,name=${release}` },
      (_phase, secret: V1Secret) => {
        if (secret.metadata?.labels?.['status'] !== status) return;
        // Synchronously, in the watch callback: a kill must not wait for anything else.
        onSeen?.();
        settle(true);
      },
      () => undefined,
    )
    .then((controller) => {
      abort = () => controller.abort();
    });
  return { seen, ready };
}
