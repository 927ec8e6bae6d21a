/** Why a Helm command failed, and whether running it again can help. */
export class HelmError extends Error {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly stderr: string;
  /** Deterministic failures (bad values, template errors, forbidden) are not worth retrying. */
  readonly permanent: boolean;

  constructor(command: string, exitCode: number | undefined, stderr: string, cancelled = false) {
    const detail = helmMessage(stderr) || (cancelled ? 'cancelled' : `exit code ${exitCode ?? 'unknown'}`);
    super(`helm ${command} failed: ${detail}`);
    this.name = 'HelmError';
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.permanent = !cancelled && isPermanent(stderr);
  }
}

const PERMANENT = [
  /values don't meet the specifications of the schema/i,
  /execution error at/i,
  /executing "[^"]+" at/i,
  /nil pointer evaluating/i,
  /parse error/i,
  /error converting YAML/i,
  /unable to build kubernetes objects/i,
  /chart requires kubeVersion/i,
  /is forbidden/i,
  /cannot re-use a name that is still in use/i,
  /invalid release name/i,
  /no such file or directory/i,
  /not a valid chart repository/i,
  /exists and cannot be imported into the current release/i,
];

const TRANSIENT = [/another operation \(install\/upgrade\/rollback\) is in progress/i, /connection refused/i, /timeout/i, /unable to (?:handle|connect)/i];

function isPermanent(stderr: string): boolean {
  return !TRANSIENT.some((r) => r.test(stderr)) && PERMANENT.some((r) => r.test(stderr));
}

/** Helm's own error, from its `Error:` line on, without usage hints; this is what a failed step reports. */
export function helmMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Use --debug flag/i.test(l));
  const start = lines.findIndex((l) => /^error:?/i.test(l));
  const relevant = start >= 0 ? lines.slice(start) : lines.slice(-3);
  return relevant
    .join(' ')
    .replace(/^Error:\s*/i, '')
    .slice(0, 2_000);
}
