import type { Ledger } from '../ledger.ts';
import type { TenantView } from './cluster-view.ts';

type Baseline = { namespaceUid: string; databaseName: string; databaseUid: string; secrets: Map<string, string>; missingTicks: number };

/**
 * No loss, checked on every view of the cluster while the soak runs: once a tenant is established (a deployed revision and its database), its namespace,
 * database and Secrets keep their uids for as long as its latest accepted intent wants it present.
 *   A uid that changes is data deleted and made again; a namespace missing on two views in a row
 *   while it should be there is data deleted. Expiry (the clock driver), removal intents and the end
 *   of a closed account's window end the promise.
 */
export class TenantGuard {
  private readonly baselines = new Map<string, Baseline>();
  views = 0;

  private readonly ledger: Ledger;

  constructor(ledger: Ledger) {
    this.ledger = ledger;
  }

  observe(views: Map<string, TenantView>): void {
    this.views += 1;
    const latest = this.ledger.latestIntents();
    for (const [tenantId, intent] of latest) {
      // A closed account keeps its namespace, database and Secrets until its window ends: undelete brings back the same ones.
      const kept = intent.intent.kind === 'present' || (intent.intent.kind === 'closed' && Date.now() < intent.intent.purgeAfter);
      const promised = kept && !intent.ambiguous && !this.ledger.expired.has(tenantId);
      const view = views.get(tenantId);
      const expiring = view?.record?.expiresAt ? Date.parse(view.record.expiresAt) <= Date.now() : false;
      if (!promised || expiring || view?.record?.terminating) {
        this.baselines.delete(tenantId);
        continue;
      }
      const known = this.baselines.get(tenantId);
      if (!known) {
        if (view?.database && view.revisions.some((r) => r.status === 'deployed')) {
          const { name: databaseName, uid: databaseUid } = view.database;
          this.baselines.set(tenantId, { namespaceUid: view.namespaceUid, databaseName, databaseUid, secrets: new Map(view.secrets), missingTicks: 0 });
        }
        continue;
      }
      this.compare(tenantId, known, view);
    }
  }

  private compare(tenantId: string, known: Baseline, view: TenantView | undefined): void {
    if (!view) {
      known.missingTicks += 1;
      if (known.missingTicks === 2) this.ledger.violate('no-loss', `${tenantId}: namespace gone while its latest accepted intent wants it present`);
      return;
    }
    known.missingTicks = 0;
    if (view.namespaceUid !== known.namespaceUid) this.loss(tenantId, 'namespace', known, view);
    // A restore moves the application to a new Cluster (another name): its data is the restored backup's, not a loss.
    if (view.database && view.database.name !== known.databaseName) known.databaseName = view.database.name;
    else if (view.database && known.databaseUid && view.database.uid !== known.databaseUid) this.loss(tenantId, 'database', known, view);
    else if (!view.database && known.databaseUid) this.ledger.violate('no-loss', `${tenantId}: database ${known.databaseName} gone`);
    for (const [name, uid] of known.secrets) {
      const now = view.secrets.get(name);
      if (now !== uid) this.ledger.violate('no-loss', `${tenantId}: Secret ${name} ${now ? 'made again' : 'gone'}`);
    }
    // Each change is reported once: the baseline follows what is there now.
    known.secrets = new Map(view.secrets);
    known.databaseUid = view.database?.uid ?? '';
  }

  private loss(tenantId: string, what: string, known: Baseline, view: TenantView): void {
    this.ledger.violate('no-loss', `${tenantId}: ${what} made again (uid changed) while it should have stayed`);
    known.namespaceUid = view.namespaceUid;
  }
}
