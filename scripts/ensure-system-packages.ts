// `node scripts/ensure-system-packages.ts [label]`: every Debian package the README's commands
// need, installed in one apt-get run (.ci/run calls it so CI installs them once, up front).
import { MissingSystemPackages, SYSTEM_PACKAGES, ensureSystemPackages, nodeHost } from './system-packages.ts';

const neededBy = process.argv[2] ?? 'tenant-provisioner';
try {
  const installed = await ensureSystemPackages(Object.values(SYSTEM_PACKAGES), neededBy, nodeHost(process.env));
  console.error(`${neededBy}: Debian packages ready${installed.length > 0 ? ` (installed ${installed.join(', ')})` : ''}`);
} catch (error) {
  if (!(error instanceof MissingSystemPackages)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
