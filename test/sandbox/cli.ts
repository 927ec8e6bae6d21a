// `npm run sandbox -- <command>`: the sandbox cluster for tests and local runs. See README.md here.
import { parseArgs } from 'node:util';
import { dirname } from 'node:path';
import { buildMissing, ensureBinaries } from './build.ts';
import { defaultSandboxDir, down, health, readState, restartApiserver, up } from './cluster.ts';
import { PROFILES, type ProfileName } from './stages.ts';
import { CORE_COMPONENTS, OPTIONAL_COMPONENTS, sandboxBinaries, type SandboxComponent } from './versions.ts';

const usage = `usage: npm run sandbox -- <command>
  build [--with versitygw]
                        build the pinned binaries that are missing from the cache (the core
                        ones, and the optional ones named with --with)
  up [--profile fast|realistic] [--nodes N] [--object-store]
                        start etcd, the control plane and KWOK; write .sandbox/kubeconfig;
                        with --object-store also versitygw (an S3 server) and its keys file
  env                   print shell lines to eval (KUBECONFIG and PATH with the pinned helm and kubectl)
  status                show each process and the API server's readiness
  restart apiserver     restart only the API server, keeping etcd data
  down                  stop everything and remove the state directory`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      profile: { type: 'string' },
      nodes: { type: 'string' },
      locked: { type: 'boolean' },
      with: { type: 'string', multiple: true },
      'object-store': { type: 'boolean' },
    },
  });
  const extra = (values.with ?? []).flatMap((w) => w.split(','));
  const unknown = extra.filter((c) => !(OPTIONAL_COMPONENTS as readonly string[]).includes(c));
  if (unknown.length > 0) throw new Error(`unknown optional component ${unknown.join(', ')}; one of ${OPTIONAL_COMPONENTS.join(', ')}`);
  const optional = extra as SandboxComponent[];
  const dir = defaultSandboxDir();
  const [command, target] = positionals;
  switch (command) {
    case 'build':
      if (values.locked) await buildMissing(process.env, [...CORE_COMPONENTS, ...optional]);
      else await ensureBinaries(process.env, optional);
      return 0;
    case 'up': {
      const profile = (values.profile ?? process.env.SANDBOX_PROFILE ?? 'fast') as ProfileName;
      if (!(profile in PROFILES)) throw new Error(`unknown profile ${profile}; one of ${Object.keys(PROFILES).join(', ')}`);
      const started = Date.now();
      const state = await up({ dir, profile, nodes: values.nodes ? Number(values.nodes) : 2, objectStore: values['object-store'] === true });
      console.log(`sandbox up (${profile}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${state.server}`);
      console.log(`  kubeconfig: ${state.kubeconfig}\n  eval "$(npm run -s sandbox -- env)"`);
      if (state.objectStore) {
        const { endpoint, bucket, credentialsFile } = state.objectStore;
        console.log(`  object store (versitygw, S3 path-style): ${endpoint}, bucket ${bucket}\n  root keys: ${credentialsFile}`);
      }
      return 0;
    }
    case 'env': {
      const bin = sandboxBinaries();
      const path = [dirname(bin.helm), dirname(bin.kubectl)].join(':');
      console.log(`export KUBECONFIG='${dir}/kubeconfig'\nexport PATH='${path}':"$PATH"`);
      return 0;
    }
    case 'status': {
      const state = await readState(dir);
      if (!state) {
        console.log(`sandbox: not running (${dir})`);
        return 1;
      }
      const h = await health(state);
      console.log(`sandbox ${h.healthy ? 'healthy' : 'UNHEALTHY'} (${state.profile}, since ${state.startedAt}) ${state.server}`);
      for (const [name, alive] of Object.entries(h.daemons)) console.log(`  ${alive ? 'running' : 'STOPPED'}  ${name}`);
      console.log(`  apiserver /readyz: ${h.apiserver ? 'ok' : 'failing'}`);
      if (state.objectStore) console.log(`  object store: ${state.objectStore.endpoint} (keys in ${state.objectStore.credentialsFile})`);
      return h.healthy ? 0 : 1;
    }
    case 'restart':
      if (target !== 'apiserver') break;
      await restartApiserver(dir);
      console.log('sandbox: kube-apiserver restarted');
      return 0;
    case 'down':
      await down(dir);
      console.log('sandbox: down');
      return 0;
  }
  console.error(usage);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
