import type { z } from 'zod';
import { ENV_OVERRIDES } from './config-sources.ts';

type AnySchema = z.ZodType & { description?: string; _zod: { def: Record<string, unknown> } };

export type ConfigField = { path: string; type: string; description: string | undefined; env: string | undefined };

const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'pipe']);

function typeName(schema: AnySchema): string {
  const def = schema._zod.def;
  const type = String(def['type']);
  if (type === 'optional') return `${typeName(def['innerType'] as AnySchema)} (optional)`;
  if (type === 'nullable') return `${typeName(def['innerType'] as AnySchema)} or null`;
  // A default is documented in the description; the type is the inner one's.
  if (type === 'default' || type === 'prefault') return typeName(def['innerType'] as AnySchema);
  if (type === 'enum') return Object.values(def['entries'] as Record<string, string>).join(' \\| ');
  if (type === 'array') return `list of ${typeName(def['element'] as AnySchema)}`;
  if (type === 'literal') return JSON.stringify((def['values'] as unknown[])[0]);
  return type === 'object' ? 'section' : type;
}

/**
 * Every configuration field with its description, type and environment variable, walked from the
 * zod schema itself, so the README's reference cannot drift from what is validated.
 */
export function configFields(schema: z.ZodType, path = '', out: ConfigField[] = []): ConfigField[] {
  const def = (schema as AnySchema)._zod.def;
  const type = def['type'] as string;
  if (wrappers.has(type) && type !== 'pipe') return configFields(def['innerType'] as AnySchema, path, out);
  if (type === 'union') {
    for (const option of def['options'] as AnySchema[]) configFields(option, path, out);
    return out;
  }
  if (type !== 'object') return out;
  for (const [key, child] of Object.entries(def['shape'] as Record<string, AnySchema>)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (out.some((f) => f.path === childPath)) continue;
    const env = ENV_OVERRIDES.find((o) => o.path.join('.') === childPath)?.name ?? (childPath === 'kubernetes.kubeconfig' ? 'KUBECONFIG' : undefined);
    out.push({ path: childPath, type: typeName(child), description: child.description, env });
    // Tier limits are a table of their own (config/default.yaml and the chart README), not settings.
    if (childPath !== 'tiers') configFields(child, childPath, out);
  }
  return out;
}

/** The configuration reference as a Markdown table. */
export function configReferenceMarkdown(schema: z.ZodType): string {
  const rows = configFields(schema).map(
    (f) => `| \`${f.path}\` | ${f.type} | ${f.env ? `\`${f.env}\`` : ''} | ${(f.description ?? '').replace(/\|/g, '\\|')} |`,
  );
  return ['| Key | Type | Environment | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
