import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fieldErrorsFrom } from '../domain/field-error.ts';
import { ConfigError, type ConfigIssue } from './config-error.ts';
import { Config } from './config.schema.ts';
import {
  type ConfigLayer,
  type Environment,
  inClusterDefault,
  mergeTrees,
  parseConfigFile,
  type Tree,
  treeFromEnv,
  withoutDefaultRedisUrl,
} from './config-sources.ts';

export const DEFAULT_CONFIG_FILE = 'config/default.yaml';

export interface LoadConfigOptions {
  /** The process environment; passed in so that nothing else reads `process.env`. */
  env: Environment;
  /** Command-line arguments; `--config <file>` names the override file and wins over CONFIG_FILE. */
  argv?: readonly string[];
  /** Config files by path, in memory; when given, nothing is read from disk (unit tests). */
  files?: Readonly<Record<string, string>>;
  /** Directory relative file paths resolve against on disk; defaults to the working directory. */
  cwd?: string;
}

/**
 * Reads `config/default.yaml`, then the override file (`--config` or CONFIG_FILE), then environment
 * variables; validates the result once and returns it deeply frozen. Throws a `ConfigError` naming
 * every bad field. No side effects beyond reading those files: the caller decides whether to exit.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const { env } = options;
  const read = fileReader(options);
  const overrideFile = configFlag(options.argv ?? []) ?? nonEmpty(env['CONFIG_FILE']);

  const layers = [read(DEFAULT_CONFIG_FILE), ...(overrideFile === undefined ? [] : [read(overrideFile)])];
  const fileIssues = layers.flatMap((layer) => ('issue' in layer ? [layer.issue] : []));
  if (fileIssues.length > 0) throw new ConfigError(fileIssues);

  const fromEnv = treeFromEnv(env);
  const [defaults = {}, ...operatorTrees] = [...layers.flatMap((layer) => ('tree' in layer ? [layer.tree] : [])), fromEnv.tree];
  const trees = [withoutDefaultRedisUrl(defaults, operatorTrees), ...operatorTrees];
  let merged = trees.reduce<Tree>((acc, tree) => mergeTrees(acc, tree), {});
  const inCluster = inClusterDefault(merged, env);
  if (inCluster) merged = mergeTrees(merged, inCluster);

  const result = Config.safeParse(merged);
  if (!result.success) {
    const issues: ConfigIssue[] = fieldErrorsFrom(result.error).map((issue) => {
      // A list element (redis.sentinels.1) came from the variable that set the whole list.
      const source = fromEnv.sources.get(issue.path) ?? fromEnv.sources.get(issue.path.replace(/\.[0-9]+$/, ''));
      return source === undefined ? issue : { ...issue, source };
    });
    if (merged['kubernetes'] === undefined) {
      // Replace zod's terse "invalid input" with what to do about it.
      const others = issues.filter((issue) => issue.path !== 'kubernetes');
      throw new ConfigError([...others, NO_CLUSTER]);
    }
    throw new ConfigError(issues);
  }
  return deepFreeze(result.data);
}

const NO_CLUSTER: ConfigIssue = {
  path: 'kubernetes',
  message:
    'no cluster configured: set KUBECONFIG to a kubeconfig file, or run in a pod (KUBERNETES_SERVICE_HOST); ' +
    'there is deliberately no fallback to an unauthenticated localhost:8080',
};

function fileReader(options: LoadConfigOptions): (path: string) => ConfigLayer {
  return (path) => {
    let text: string;
    if (options.files) {
      const found = options.files[path];
      if (found === undefined) return { issue: { path: '', message: 'file not found', source: path } };
      text = found;
    } else {
      try {
        text = readFileSync(resolve(options.cwd ?? process.cwd(), path), 'utf8');
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        return { issue: { path: '', message: `cannot read the file (${reason})`, source: path } };
      }
    }
    return parseConfigFile(text, path);
  };
}

function configFlag(argv: readonly string[]): string | undefined {
  const index = argv.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  if (index === -1) return undefined;
  const arg = argv[index] as string;
  return nonEmpty(arg === '--config' ? argv[index + 1] : arg.slice('--config='.length));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
