// The composition root: the only module besides the config loader that reads process.env. It
// builds every dependency once and passes it down; `provisioner api|worker|all`.
import { Releasers } from './composition/releasers.ts';
import { createSharedServices } from './composition/shared-services.ts';
import { onShutdownSignal } from './composition/shutdown-signals.ts';
import { ConfigError } from './config/config-error.ts';
import { loadConfig } from './config/load-config.ts';

const MODES = ['api', 'worker', 'all'] as const;
type Mode = (typeof MODES)[number];

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const mode = argv[0] as Mode;
  if (!MODES.includes(mode)) {
    process.stderr.write(`usage: provisioner <${MODES.join('|')}> [--config file]\n`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig({ env, argv: argv.slice(1) });
  // Each mode loads only its own modules: a worker never loads the HTTP API, Bull Board or the
  // OpenAPI document (issue 13, worker memory). Loaded before anything connects, so a module that
  // fails to load leaves nothing open.
  const [workers, api, health] = await Promise.all([
    mode === 'api' ? undefined : import('./composition/worker-process.ts'),
    mode === 'worker' ? undefined : import('./composition/api-process.ts'),
    mode === 'worker' ? import('./composition/health-server.ts') : undefined,
  ]);
  const releasers = new Releasers();
  const shared = createSharedServices(config, env, releasers);
  const { logger } = shared;

  if (workers) workers.startWorkers(shared, releasers, env);
  if (api) await api.startApi(shared, releasers);
  if (health) {
    health.startHealthServer(
      {
        redis: shared.historyRedis,
        kube: shared.kube,
        outages: Object.values(shared.outages),
        metrics: shared.metrics,
        logger,
        host: config.server.host,
        port: config.server.healthPort,
      },
      releasers,
    );
  }

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.queue.shutdown.exitSeconds * 1000).unref();
    void releasers
      .releaseAll((name, error) => logger.warn({ err: error, releaser: name }, 'release failed'))
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      });
  };
  onShutdownSignal(shutdown, (signal) => {
    logger.warn({ signal }, 'second signal; exiting without waiting');
    process.exit(1);
  });
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`provisioner failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
