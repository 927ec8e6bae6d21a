import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering of issue 11, read from the source (no other I/O): what may import the HTTP layer,
 * and who may make the calls that destroy a tenant. Paths are relative to the repository, with `/`.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the HTTP layer may be imported from: itself and the composition root. */
const MAY_IMPORT_API = ['src/api/', 'src/composition/', 'src/main.ts'];

/** Where the destructive calls are implemented: the adapters. The lifecycle core decides them. */
const DESTRUCTIVE_HOMES = ['src/lifecycle/', 'src/kubernetes/', 'src/helm/'];

/**
 * Callers of a destructive method outside the lifecycle core and its adapters: none. A file added
 * here must say why; a listed file that no longer makes such a call fails the test.
 */
const ALLOWED_DESTRUCTIVE_CALLERS: readonly string[] = [];

type Source = { path: string; text: string };

function sourcesUnder(dir: string): Source[] {
  const absolute = join(ROOT, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => {
      const path = posix.join(dir, file.split(sep).join('/'));
      return { path, text: readFileSync(join(ROOT, path), 'utf8') };
    });
}

/** Every module a file names: static and type imports, `export … from`, `import()` calls. */
function importsOf(source: Source): string[] {
  const { importedFiles } = ts.preProcessFile(source.text, true, true);
  return importedFiles
    .map((file) => file.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) =>
      relative(ROOT, resolve(ROOT, posix.dirname(source.path), name))
        .split(sep)
        .join('/'),
    );
}

const within = (path: string, prefixes: readonly string[]) => prefixes.some((prefix) => path === prefix || path.startsWith(prefix));

/**
 * The destructive calls a file makes, found in its syntax tree (so comments and strings do not
 * count): writing the operation marker or any other intent (the tenant store's conditional `write`),
 * deleting a namespace or a tenant, uninstalling a release.
 */
function destructiveCallsOf(source: Source): string[] {
  const file = ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
      const owner = ts.isPropertyAccessExpression(callee) ? callee.expression.getText(file) : '';
      const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
      if (name === 'markOperation' || name === 'setOperation' || name === 'deleteNamespace' || name === 'uninstall') {
        found.push(`${source.path}:${line} ${name}(`);
      } else if ((name === 'delete' || name === 'write') && /(^|\.)(registry|tenants|tenantStore|store)$/.test(owner)) {
        found.push(`${source.path}:${line} ${owner}.${name}(`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const sources = sourcesUnder('src');

describe('import rules', () => {
  it('reads the source tree', () => {
    expect(sources.length).toBeGreaterThan(100);
    expect(sources.some((s) => s.path === 'src/api/app.ts')).toBe(true);
  });

  it('nothing under src/ outside api/ and the composition root imports from src/api/', () => {
    const offending = sources
      .filter((s) => !within(s.path, MAY_IMPORT_API))
      .flatMap((s) =>
        importsOf(s)
          .filter((target) => target.startsWith('src/api/'))
          .map((target) => `${s.path} → ${target}`),
      );
    expect(offending).toEqual([]);
  });

  it('nothing under src/lifecycle/ imports from src/api/ (passes while the folder does not exist yet)', () => {
    const offending = sourcesUnder('src/lifecycle').flatMap((s) =>
      importsOf(s)
        .filter((target) => target.startsWith('src/api/'))
        .map((target) => `${s.path} → ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('only the lifecycle core and its adapters write the operation marker, delete a namespace or uninstall a release', () => {
    const calls = sources.filter((s) => !within(s.path, DESTRUCTIVE_HOMES)).flatMap(destructiveCallsOf);
    const outside = calls.filter((call) => !ALLOWED_DESTRUCTIVE_CALLERS.includes(call.split(':')[0]!));
    expect(outside).toEqual([]);
    // The allowance is a ratchet: a listed file that no longer calls must leave the list.
    const stale = ALLOWED_DESTRUCTIVE_CALLERS.filter((path) => !calls.some((call) => call.startsWith(`${path}:`)));
    expect(stale).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const fake = (path: string, text: string): Source => ({ path, text });

  it('see static, type-only, re-export and dynamic imports, resolved from the importing file', () => {
    const source = fake(
      'src/services/x.ts',
      [
        "import { a } from '../api/errors/problem-error.ts';",
        "import type { B } from '../api/app.ts';",
        "export { c } from '../api/app-env.ts';",
        "const d = await import('../api/health/health.router.ts');",
        "import { e } from './dependency.ts';",
        "import { z } from 'zod';",
      ].join('\n'),
    );
    expect(importsOf(source)).toEqual([
      'src/api/errors/problem-error.ts',
      'src/api/app.ts',
      'src/api/app-env.ts',
      'src/api/health/health.router.ts',
      'src/services/dependency.ts',
    ]);
  });

  it('see destructive calls in code but not in comments or strings', () => {
    const source = fake(
      'src/worker/x.ts',
      [
        '// registry.delete(tenantId) used to be here',
        "const s = 'helm.uninstall(x)';",
        'await deps.tenants.delete(id);',
        'await helm.uninstall(release, namespace, signal);',
        'await registry.setOperation(id, marker);',
        'await core.deleteNamespace({ name });',
        'cache.delete(key);',
        'await deps.registry.write(id, version, { operation: null });',
      ].join('\n'),
    );
    expect(destructiveCallsOf(source)).toEqual([
      'src/worker/x.ts:3 deps.tenants.delete(',
      'src/worker/x.ts:4 uninstall(',
      'src/worker/x.ts:5 setOperation(',
      'src/worker/x.ts:6 deleteNamespace(',
      'src/worker/x.ts:8 deps.registry.write(',
    ]);
  });
});
