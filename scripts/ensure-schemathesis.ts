// `node scripts/ensure-schemathesis.ts [label]`: the contract test's pinned Schemathesis, in its
// cached virtual environment (.ci/run calls it so CI installs it once, up front). Prints its path.
import { MissingSchemathesis, ensureSchemathesis } from './schemathesis-venv.ts';
import { nodeHost } from './system-packages.ts';

const neededBy = process.argv[2] ?? 'tenant-provisioner';
try {
  console.log(await ensureSchemathesis(neededBy, nodeHost(process.env)));
} catch (error) {
  if (!(error instanceof MissingSchemathesis)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
