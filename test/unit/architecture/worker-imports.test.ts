import { existsSync, readFileSync } from 'node:fs';
import { dirname, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Issue 13 (worker memory): `node src/main.ts worker` loads only what the worker runs. Read from
 * the source: the modules a process evaluates are the static imports that survive type stripping,
 * followed from the entry; `import type` is erased, `import { type A }` is not (it still loads the
 * module under verbatimModuleSyntax), and `import()` is loaded only when it runs.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** What `main.ts` loads in worker mode besides its own static imports. */
const WORKER_MODE_IMPORTS = ['src/composition/worker-process.ts', 'src/composition/health-server.ts'];

/** The HTTP modules the worker's health server serves (probes and /metrics, problems as the API answers them). */
const WORKER_MAY_LOAD_FROM_API = ['src/api/health/', 'src/api/errors/', 'src/api/app-env.ts', 'src/api/openapi/links.ts'];

/** Packages only the API uses (Bull Board, the API document's UI, JWT verification) or that are loaded on first use (Stripe). */
const NOT_IN_THE_WORKER = ['@bull-board/api', '@bull-board/hono', 'swagger-ui-dist', 'jose', 'stripe'];

type Loaded = { files: string[]; packages: string[] };

/** The specifiers a module loads when it is evaluated: static imports and re-exports that are not type-only. */
function loadedSpecifiers(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false);
  const specifiers: string[] = [];
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      if (statement.importClause?.isTypeOnly) continue;
      if (ts.isStringLiteral(statement.moduleSpecifier)) specifiers.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      if (ts.isStringLiteral(statement.moduleSpecifier)) specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every repository module and package evaluated from `entries`, following repository modules only. */
function closure(entries: readonly string[], read: (path: string) => string | undefined): Loaded {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (files.has(path)) continue;
    const text = read(path);
    if (text === undefined) throw new Error(`cannot read ${path}`);
    files.add(path);
    for (const specifier of loadedSpecifiers(path, text)) {
      if (specifier.startsWith('.')) queue.push(posix.normalize(posix.join(posix.dirname(path), specifier)));
      else if (!specifier.startsWith('node:')) packages.add(packageOf(specifier));
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

const readRepo = (path: string): string | undefined => {
  const absolute = resolve(ROOT, path);
  return existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined;
};

describe('the worker process loads only what the worker runs', () => {
  const main = closure(['src/main.ts'], readRepo);
  const worker = closure(['src/main.ts', ...WORKER_MODE_IMPORTS], readRepo);

  it('main.ts loads neither process statically: each mode imports its own', () => {
    expect(main.files).toContain('src/composition/shared-services.ts');
    expect(main.files).not.toContain('src/composition/api-process.ts');
    expect(main.files).not.toContain('src/composition/worker-process.ts');
    expect(readRepo('src/main.ts')).toMatch(/import\('\.\/composition\/worker-process\.ts'\)/);
  });

  it('the worker loads nothing of the HTTP API but the health routes its probe server serves', () => {
    expect(worker.files).toContain('src/worker/operations-worker.ts');
    const fromApi = worker.files.filter((path) => path.startsWith('src/api/'));
    expect(fromApi.filter((path) => !WORKER_MAY_LOAD_FROM_API.some((allowed) => path === allowed || path.startsWith(allowed)))).toEqual([]);
    expect(worker.files).not.toContain('src/composition/api-process.ts');
  });

  it('the worker loads none of the API-only packages', () => {
    expect(worker.packages).toContain('bullmq');
    expect(worker.packages.filter((name) => NOT_IN_THE_WORKER.includes(name))).toEqual([]);
  });
});

describe('the closure itself', () => {
  const files: Record<string, string> = {
    'src/a.ts': [
      "import type { T } from './types.ts';",
      "import { type U } from './kept.ts';",
      "export { v } from './re-exported.ts';",
      "export type { W } from './type-export.ts';",
      "const lazy = await import('./lazy.ts');",
      "import { z } from 'zod';",
      "import { x } from '@scope/pkg/deep.js';",
      "import { readFileSync } from 'node:fs';",
    ].join('\n'),
    'src/kept.ts': "import './dir/side-effect.ts';",
    'src/re-exported.ts': '',
    'src/dir/side-effect.ts': "import { y } from '../kept.ts';",
  };

  it('follows static value imports, re-exports and `import { type … }`, not `import type` or `import()`', () => {
    expect(closure(['src/a.ts'], (path) => files[path])).toEqual({
      files: ['src/a.ts', 'src/dir/side-effect.ts', 'src/kept.ts', 'src/re-exported.ts'],
      packages: ['@scope/pkg', 'zod'],
    });
  });
});
