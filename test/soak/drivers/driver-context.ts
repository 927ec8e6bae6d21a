import type { Ledger } from '../ledger.ts';
import type { Random } from '../seeded-random.ts';

/**
 * The part of the fleet (test/soak/fleet.ts) the drivers use. Declared here, not imported: the
 * drivers need only the live API list, so the fleet's full handle fits structurally and a driver
 * can be tried against a single service process as well.
 */
export type DriverFleet = {
  /** Base URLs of the API processes that are up now (a killed one is absent until restarted). */
  apiUrls(): Array<{ index: number; url: string }>;
  /** Puts an export's dump where its Job's upload would (true), or finds no Job within a minute (false). */
  uploadExport(namespace: string, exportId: string, until: AbortSignal): Promise<boolean>;
};

/** What every load driver is given. Each driver forks `rng` per slot, so its choices replay from the seed. */
export type DriverContext = {
  rng: Random;
  fleet: DriverFleet;
  ledger: Ledger;
  /** A superadmin bearer token the fleet's APIs accept. */
  token: string;
  /** The Stripe webhook signing secret the fleet's APIs verify with (billing.webhookSecret). */
  stripeSecret: string;
  /** Aborted when the drive phase ends. */
  until: AbortSignal;
};
