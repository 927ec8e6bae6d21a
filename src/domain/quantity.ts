import { z } from '@hono/zod-openapi';

/**
 * Exact arithmetic on Kubernetes quantities, so quotas can be derived from the tier numbers in
 * TypeScript instead of in Helm templates (which cannot add `512Mi` to `1Gi`). CPU is counted in
 * millicores and memory/storage in bytes; both stay far below 2^53 for any realistic tenant, which
 * is why the accepted suffixes stop at T/Ti.
 */

// The one quantity syntax: the schema below accepts exactly what the arithmetic can read.
const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;

/** A Kubernetes resource quantity such as `512Mi`, `1Gi`, `250m` or `2`. */
export const Quantity = z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as 512Mi or 250m');
export type Quantity = z.infer<typeof Quantity>;

/**
 * A volume size: a whole number of Mi, Gi or Ti, below a million. Narrower than `Quantity` on
 * purpose: `250m` of storage or `0Gi` are quantities but no volume a tenant could use.
 */
export const StorageSize = z.string().regex(/^[1-9][0-9]{0,5}(Mi|Gi|Ti)$/, 'must be a storage size such as 20Gi');
export type StorageSize = z.infer<typeof StorageSize>;

const MULTIPLIERS: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

function scaled(quantity: string, unit: number): number {
  const match = QUANTITY.exec(quantity);
  if (!match) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
  const [, number = '0', suffix = ''] = match;
  const multiplier = MULTIPLIERS[suffix] ?? 1;
  // Rounding absorbs binary floating point noise such as 0.1 * 1000 = 100.00000000000001.
  return Math.round((Number(number) * multiplier) / unit);
}

/** `250m` → 250, `2` → 2000. */
export function cpuMillis(quantity: string): number {
  return scaled(quantity, 1e-3);
}

/** `512Mi` → 536870912, `1G` → 1e9. */
export function byteCount(quantity: string): number {
  return scaled(quantity, 1);
}

/** 2000 → `2`, 1500 → `1500m`: whole cores when exact, so rendered quotas read naturally. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** The largest binary suffix that represents the byte count exactly: 1536Mi, 2Gi, 100. */
export function formatBytes(bytes: number): string {
  for (const suffix of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const unit = MULTIPLIERS[suffix] ?? 1;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}
