import { z } from '@hono/zod-openapi';
import { parseAllDocuments } from 'yaml';

/** One object a change would create, delete or alter, with the fields it alters (JSON paths, at most a few dozen). */
export const ObjectChange = z
  .object({
    kind: z.string(),
    name: z.string(),
    action: z.enum(['create', 'update', 'delete']),
    paths: z
      .array(z.string())
      .openapi({ description: 'The fields that change, as paths (spec.selector.tenant-provisioner.io/slot); empty for create and delete' }),
    images: z.array(z.string()).optional().openapi({
      description: 'A workload created, or whose images change: the images its pods will run (init containers first), so a release shows its tag',
    }),
  })
  .openapi('ObjectChange');
export type ObjectChange = z.infer<typeof ObjectChange>;

type K8sObject = { kind?: string; metadata?: { name?: string } };
type PodTemplated = { spec?: { template?: { spec?: { initContainers?: Array<{ image?: string }>; containers?: Array<{ image?: string }> } } } };
const MAX_PATHS = 40;

function objectsOf(manifest: string): Map<string, unknown> {
  const objects = new Map<string, unknown>();
  for (const doc of parseAllDocuments(manifest)) {
    const value = doc.toJS() as K8sObject | null;
    if (!value?.kind || !value.metadata?.name) continue;
    objects.set(`${value.kind}/${value.metadata.name}`, value);
  }
  return objects;
}

/** The leaf paths where `a` and `b` differ (an added, removed or changed value), depth first. */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= MAX_PATHS) return;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) differences(a[key], b[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => differences(item, b[i], `${path}[${i}]`, out));
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
}

/** The images a workload's pods run, init containers first; empty for an object without a pod template. */
function imagesOf(object: unknown): string[] {
  const pod = (object as PodTemplated | undefined)?.spec?.template?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].flatMap((c) => (c.image ? [c.image] : []));
}

const IMAGE_PATH = /ontainers\[\d+\]\.image$/;

/**
 * What applying `next` over `live` would do, object by object (kind and name): created, deleted, or
 * updated with the fields that change. Unchanged objects are left out. Both are Helm manifests
 * (`helm get manifest`, `helm template`): multi-document YAML.
 */
export function diffManifests(live: string, next: string): ObjectChange[] {
  const before = objectsOf(live);
  const after = objectsOf(next);
  const changes: ObjectChange[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [kind, name] = key.split('/') as [string, string];
    const images = imagesOf(after.get(key));
    const withImages = (change: ObjectChange) => (images.length > 0 ? { ...change, images } : change);
    if (!before.has(key)) changes.push(withImages({ kind, name, action: 'create', paths: [] }));
    else if (!after.has(key)) changes.push({ kind, name, action: 'delete', paths: [] });
    else {
      const paths: string[] = [];
      differences(before.get(key), after.get(key), '', paths);
      if (paths.some((p) => IMAGE_PATH.test(p))) changes.push(withImages({ kind, name, action: 'update', paths }));
      else if (paths.length > 0) changes.push({ kind, name, action: 'update', paths });
    }
  }
  return changes;
}
