import { updateOf, type Rollout } from '../../../../src/domain/rollout.ts';
import type { RolloutStore, RolloutSummary } from '../../../../src/kubernetes/rollout-store.ts';
import { IntentConflictError } from '../../../../src/kubernetes/tenant-store.ts';

/** RolloutStore in memory, with the same conditional writes (resourceVersion) as the ConfigMap one. */
export class FakeRollouts implements RolloutStore {
  readonly records = new Map<string, { rollout: Rollout; resourceVersion: string }>();
  private version = 0;

  async create(rollout: Rollout) {
    if (this.records.has(rollout.id)) throw new Error(`rollout ${rollout.id} exists`);
    this.records.set(rollout.id, { rollout: structuredClone(rollout), resourceVersion: String(++this.version) });
  }
  async read(id: string) {
    const found = this.records.get(id);
    return found && { rollout: structuredClone(found.rollout), resourceVersion: found.resourceVersion };
  }
  async write(rollout: Rollout, resourceVersion: string) {
    const found = this.records.get(rollout.id);
    if (!found || found.resourceVersion !== resourceVersion) throw new IntentConflictError(rollout.id);
    const next = String(++this.version);
    this.records.set(rollout.id, { rollout: structuredClone(rollout), resourceVersion: next });
    return next;
  }
  async list(): Promise<RolloutSummary[]> {
    return [...this.records.values()]
      .map(({ rollout: r }) => ({ id: r.id, state: r.state, createdAt: r.createdAt, ...updateOf(r.request.target) }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}
