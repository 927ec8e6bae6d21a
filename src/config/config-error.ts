import type { FieldError } from '../domain/field-error.ts';

/** One bad configuration field; `source` names the environment variable or file it came from. */
export interface ConfigIssue extends FieldError {
  source?: string;
}

/** Thrown by `loadConfig` with every bad field at once, so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
    this.issues = issues;
  }
}

function formatIssue({ path, message, source }: ConfigIssue): string {
  return `${path || '(root)'}: ${message}${source === undefined ? '' : ` (from ${source})`}`;
}
