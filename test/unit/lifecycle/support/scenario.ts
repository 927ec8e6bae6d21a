import fc from 'fast-check';

/**
 * Tenant ids of a run (2 or 3 are used), and how each starts. `switched`: a paying tenant just
 * released to v2 on green, blue still running its previous version (its switch window open).
 */
export const TENANT_IDS = ['alpha-00000a', 'bravo-00000b', 'charl-00000c'] as const;
export type Start = 'absent' | 'demo-expired' | 'demo-expiring' | 'free' | 'switched';

export type Command =
  | { k: 'provision'; t: number; tier: 'demo' | 'free'; domain: boolean; stripe: boolean }
  | { k: 'update'; t: number; tier: 'free' | undefined; domain: string | null | undefined }
  | { k: 'hibernate' | 'resume' | 'deprovision'; t: number }
  | { k: 'release'; t: number; version: 'v2' | 'v3' | 'bad' }
  | { k: 'rollback'; t: number }
  | { k: 'stripe'; t: number; action: 'upgrade' | 'link' | 'hibernate' | 'resume' | 'cancel'; event: number }
  | { k: 'expiry-sweep' | 'reconcile-sweep' | 'work' | 'lease-expiry' | 'tick' }
  | { k: 'rerun' | 'kill' | 'sse'; n: number }
  | { k: 'redis-errors' | 'pubsub-drops'; n: number }
  | { k: 'helm-fails'; t: number; permanent: boolean };

export type Scenario = { starts: Start[]; commands: Command[] };

const t = fc.nat({ max: 2 });
// Weighted as fc.oneof takes them; the order is part of a recorded seed's replay, so new commands go last.
const commands: fc.WeightedArbitrary<Command>[] = [
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('provision' as const),
      t,
      tier: fc.constantFrom('demo' as const, 'free' as const),
      domain: fc.boolean(),
      stripe: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('update' as const),
      t,
      tier: fc.constantFrom('free' as const, undefined),
      domain: fc.constantFrom('shop.example.org', 'store.example.net', null, undefined),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('hibernate' as const, 'resume' as const, 'deprovision' as const), t }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('stripe' as const),
      t,
      action: fc.constantFrom('upgrade' as const, 'link' as const, 'hibernate' as const, 'resume' as const, 'cancel' as const),
      event: fc.nat({ max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('expiry-sweep' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('reconcile-sweep' as const, 'lease-expiry' as const, 'tick' as const) }) },
  { weight: 12, arbitrary: fc.record({ k: fc.constant('work' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rerun' as const), n: fc.nat({ max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('kill' as const, 'sse' as const), n: fc.nat({ max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('redis-errors' as const, 'pubsub-drops' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('helm-fails' as const), t, permanent: fc.boolean() }) },
];
// A blue-green release ('bad': a version whose pods never become ready) and a rollback in its window.
const blueGreenCommands: fc.WeightedArbitrary<Command>[] = [
  { weight: 3, arbitrary: fc.record({ k: fc.constant('release' as const), t, version: fc.constantFrom('v2' as const, 'v3' as const, 'bad' as const) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('rollback' as const), t }) },
];

// Demos are where expiry, upgrades and removal meet: most runs have one.
const startsBefore: Start[] = ['absent', 'demo-expired', 'demo-expired', 'demo-expiring', 'free'];

const scenariosOf = (starts: Start[], command: fc.Arbitrary<Command>): fc.Arbitrary<Scenario> =>
  fc.record({
    starts: fc.array(fc.constantFrom(...starts), { minLength: 2, maxLength: 3 }),
    commands: fc.array(command, { minLength: 4, maxLength: 24 }),
  });

// A tenant inside its switch window: a rollback is possible from the first instant of the run.
export const scenarios = scenariosOf([...startsBefore, 'switched'], fc.oneof(...commands, ...blueGreenCommands));

/** The scenarios before releases and rollbacks were commands: what seeds recorded then replay against. */
export const scenariosWithoutReleases = scenariosOf(startsBefore, fc.oneof(...commands));

export function describeCommand(c: Command): string {
  return Object.entries(c)
    .map(([key, value]) => (key === 'k' ? String(value) : `${key}=${String(value)}`))
    .join(' ');
}
