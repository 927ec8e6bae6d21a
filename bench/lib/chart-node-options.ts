import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_DIR } from './report.ts';

/**
 * The NODE_OPTIONS the provisioner chart gives a process (values.yaml `worker.nodeOptions`), so a
 * benchmark runs the worker as it is deployed. The API and `all` get none: the chart sets none for
 * the API.
 */
export function chartNodeOptions(mode: 'api' | 'worker' | 'all'): string | undefined {
  if (mode !== 'worker') return undefined;
  const values = parse(readFileSync(join(REPO_DIR, 'charts/tenant-provisioner/values.yaml'), 'utf8')) as { worker?: { nodeOptions?: string } };
  return values.worker?.nodeOptions || undefined;
}
