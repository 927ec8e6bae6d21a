import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the JSON run report of Schemathesis 4 (`--report json`) says about a run, as far as the test reads it. */
export type RunReport = {
  schemathesis_version: string;
  seed: number;
  exit_code: number;
  complete: boolean;
  running_time: number;
  operations: { total: number; selected: number; tested: number; errored: number; skipped: number };
  phases: Record<string, { status: string; skip_reason: string | null }>;
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: unknown[];
  errors: unknown[];
  warnings: Record<string, unknown[]>;
};

/** The report, how often each check ran, the document's links (transitions), how many the stateful phase followed, and the console output. */
export type ContractRun = { report: RunReport; checks: Record<string, number>; links: number; coveredLinks: number; output: string };

/**
 * Runs `schemathesis run` against `baseUrl` with the settings in schemathesis.toml (cwd: this
 * folder, so the hooks file resolves) and reads back its JSON report and, from the NDJSON event
 * log, how many times each check ran.
 */
export async function runSchemathesis(options: {
  bin: string;
  cwd: string;
  baseUrl: string;
  token: string;
  reportDir: string;
  args: string[];
}): Promise<ContractRun> {
  const args = [
    '--config-file',
    'schemathesis.toml',
    'run',
    `${options.baseUrl}/openapi.json`,
    '--report',
    'json,ndjson,junit',
    '--report-dir',
    options.reportDir,
    ...options.args,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(options.bin, args, {
      cwd: options.cwd,
      // Nothing written into the source tree: no __pycache__ beside the hooks, Hypothesis' files with the reports.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TP_CONTRACT_TOKEN: options.token,
        NO_COLOR: '1',
        COLUMNS: '120',
        PYTHONDONTWRITEBYTECODE: '1',
        HYPOTHESIS_STORAGE_DIRECTORY: join(options.reportDir, '.hypothesis'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    // The exit code is in the report too; the report is what the test reads.
    child.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const files = await readdir(options.reportDir);
  const named = (prefix: string) => {
    const file = files.find((f) => f.startsWith(prefix));
    if (!file) throw new Error(`Schemathesis wrote no ${prefix} report; its output:\n${output}`);
    return join(options.reportDir, file);
  };
  const report = JSON.parse(await readFile(named('json-'), 'utf8')) as RunReport;
  const events = await readFile(named('ndjson-'), 'utf8');
  const links = Number(/"transitions":\{"total":(\d+)/.exec(events)?.[1] ?? 0);
  // The stateful phase's own count ("API Links: 9 covered / 21 selected / 21 total"); the reports lack it.
  const coveredLinks = Number(/API Links:\s+(\d+) covered/.exec(output)?.[1] ?? 0);
  return { report, checks: countChecks(events), links, coveredLinks, output };
}

// Each finished scenario lists the checks run on each of its responses: `{"name": …, "status": …}`.
function countChecks(ndjson: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of ndjson.matchAll(/\{"name":"([a-z_]+)","status":"(success|failure|skip)"/g)) {
    if (match[2] === 'skip') continue;
    counts[match[1]!] = (counts[match[1]!] ?? 0) + 1;
  }
  return counts;
}

/** The failures and errors part of Schemathesis' console output (reproduction commands included), cut to a readable size. */
export function failureSection(output: string, maxChars = 6_000): string {
  const start = output.search(/=+ (FAILURES|ERRORS) =+/);
  if (start < 0) return output.slice(-maxChars);
  const end = output.slice(start).search(/=+ (WARNINGS|SUMMARY) =+/);
  const section = end < 0 ? output.slice(start) : output.slice(start, start + end);
  return section.length > maxChars ? `${section.slice(0, maxChars)}\n… (cut; the full output is in the report directory)` : section;
}
