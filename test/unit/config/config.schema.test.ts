import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Config } from '../../../src/config/config.schema.ts';

type AnySchema = z.ZodType & { description?: string; _zod: { def: Record<string, unknown> } };

/** Every field below `schema`, with its description: what a generated configuration reference needs. */
function fields(schema: AnySchema, path: string, out: Array<{ path: string; description: string | undefined }>) {
  const def = schema._zod.def;
  if (def['type'] === 'optional' || def['type'] === 'nullable' || def['type'] === 'default') {
    fields(def['innerType'] as AnySchema, path, out);
  } else if (def['type'] === 'union') {
    for (const option of def['options'] as AnySchema[]) fields(option, path, out);
  } else if (def['type'] === 'object') {
    for (const [key, child] of Object.entries(def['shape'] as Record<string, AnySchema>)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      out.push({ path: childPath, description: child.description });
      // Tier limits are described by their owner in src/domain/tiers.ts.
      if (childPath !== 'tiers') fields(child, childPath, out);
    }
  }
  return out;
}

describe('Config schema', () => {
  it('describes every field, so the README reference can be generated from it', () => {
    const all = fields(Config as unknown as AnySchema, '', []);
    expect(all.map((field) => field.path)).toEqual(
      expect.arrayContaining(['platform.images.api.tag', 'kubernetes.kubeconfig', 'auth.algorithms.jwks', 'queue.backoff.delaySeconds']),
    );
    expect(all.filter((field) => !field.description).map((field) => field.path)).toEqual([]);
  });

  it('has the documented top-level sections', () => {
    expect(Object.keys(Config.shape)).toEqual(
      expect.arrayContaining([
        'server',
        'redis',
        'kubernetes',
        'auth',
        'logging',
        'helm',
        'platform',
        'timeouts',
        'provisioning',
        'queue',
        'http',
        'sse',
        'tiers',
      ]),
    );
  });
});
