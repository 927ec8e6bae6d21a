import { PatchStrategy, setHeaderOptions, type V1Job } from '@kubernetes/client-node';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { KubeClients } from './kube.ts';
import type { PlatformStore } from './platform-store.ts';

// KWOK completes an export's pod without running it: nothing runs pg_dump or the upload here. A
// test holds the namespace's pods back (a quota of none), puts the dump at the Job's key itself, as
// the upload would, then lets the pod come, so the job's check of the store finds a real object.
const HOLD = 'hold-export-pods';

/** No pod starts in `namespace` until `releaseExportPods` (a Job made meanwhile waits, its controller backing off). */
export const holdExportPods = (kube: KubeClients, namespace: string) =>
  kube.core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: HOLD }, spec: { hard: { pods: '0' } } } });

/** The object key the export Job's upload container writes (its `aws s3 cp` destination). */
export const uploadKey = (job: V1Job, store: PlatformStore) => job.spec!.template.spec!.containers[0]!.args![3]!.replace(`s3://${store.store.bucket}/`, '');

/**
 * Waits for the export's Job, puts `body` at its key with the platform's keys, then lets its pod
 * come. Resolves with the Job as it was made and the key.
 */
export async function dumpArrives(kube: KubeClients, store: PlatformStore, o: { namespace: string; exportId: string; body: string }) {
  const { namespace, exportId } = o;
  const deadline = Date.now() + 60_000;
  let job: V1Job | undefined;
  while (!job && Date.now() < deadline) {
    job = await kube.batch.readNamespacedJob({ namespace, name: exportId }).catch(() => undefined);
    if (!job) await new Promise((r) => setTimeout(r, 200));
  }
  if (!job) throw new Error(`export Job ${exportId} not made within 60 s`);
  const key = uploadKey(job, store);
  const client = new S3Client({ endpoint: store.store.endpoint, region: store.store.region, forcePathStyle: true, credentials: store.user });
  await client.send(new PutObjectCommand({ Bucket: store.store.bucket, Key: key, Body: o.body }));
  client.destroy();
  await kube.core.deleteNamespacedResourceQuota({ namespace, name: HOLD });
  // An update event: the Job controller syncs now instead of after its backoff from the refused pods.
  await kube.batch.patchNamespacedJob(
    { namespace, name: exportId, body: { metadata: { annotations: { 'test.tenant-provisioner.io/pods-released': 'now' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return { job, key };
}
