import { randomBytes } from 'node:crypto';

/**
 * `{tenantId}-{UTC yyyymmddhhmmss}-{4 hex}`: the name of an on-demand backup or an export. Sortable
 * by name, unique, and within a label's 63 characters (a tenant id is at most 40).
 */
export function stampedName(tenantId: string, now: Date, random = randomBytes(2).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${tenantId}-${stamp}-${random}`;
}
