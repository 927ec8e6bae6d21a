import { z } from 'zod';

/**
 * Sweeps run on a queue of their own, fed by BullMQ job schedulers: upserting a scheduler is
 * idempotent, so every replica may register them and still one sweep job is produced per period.
 * They never wait behind tenant operations, and tenant job listings never show them.
 */
export const MAINTENANCE_QUEUE = 'tenant-maintenance';

export const SWEEP_CATALOG = {
  /** Finds tenants past their expires-at and applies the configured expiry policy. */
  'expiry-sweep': z.strictObject({}),
  /** Compares desired with observed state and re-enqueues lost intents and repairs. */
  'reconcile-sweep': z.strictObject({}),
  /** Moves every running rollout one step: settles its wave, bakes, starts tenants up to maxParallel. */
  'rollout-sweep': z.strictObject({}),
} as const;
export type SweepName = keyof typeof SWEEP_CATALOG;
export const isSweepName = (name: string): name is SweepName => name in SWEEP_CATALOG;
