import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';

/** The tenant chart the configuration installs; its other versions are packaged from it. */
export const TENANT_CHART = 'charts/mechanicbuddy-tenant';

/**
 * Packages `chart` under each of `versions` into `archiveDir` with Helm, as a release pipeline
 * publishes the versions a tenant or a rollout may name (`{name}-{version}.tgz`): the same
 * templates, another version in Chart.yaml.
 */
export async function packageChartVersions(helm: string, archiveDir: string, versions: readonly string[], chart = TENANT_CHART): Promise<void> {
  await mkdir(archiveDir, { recursive: true });
  for (const version of versions) {
    const copy = await mkdtemp(join(tmpdir(), 'chart-src-'));
    try {
      const dir = join(copy, basename(chart));
      await cp(chart, dir, { recursive: true });
      const meta = await readFile(join(dir, 'Chart.yaml'), 'utf8');
      await writeFile(join(dir, 'Chart.yaml'), meta.replace(/^version: .*$/m, `version: ${version}`));
      await execa(helm, ['package', dir, '--destination', archiveDir]);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }
}
