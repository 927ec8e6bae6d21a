import { beforeAll, describe, expect, it } from 'vitest';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { findObject, renderChart, type K8sObject } from './helm.ts';
import { loadTiers, valuesForTier } from './tier-values.ts';

// The blue-green smoke check (README "Blue-green releases"): with it enabled and a slot staged, the
// staged slot has Services of its own and the check's Job pods may reach exactly its API and Web ports.
const id = 'acme-enterprise';
const SLOT = 'tenant-provisioner.io/slot';
const pods = (component: string, slot: string) => ({
  'app.kubernetes.io/name': 'mechanicbuddy-tenant',
  'app.kubernetes.io/instance': 'tenant-test',
  'app.kubernetes.io/component': component,
  [SLOT]: slot,
});
const smokePods = { 'app.kubernetes.io/instance': 'tenant-test', 'app.kubernetes.io/component': 'smoke-check' };
const names = (list: K8sObject[], kind: string) =>
  list
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

let tiers: TiersConfig;
let staged: (values: object) => object;
beforeAll(async () => {
  tiers = await loadTiers();
  const base = valuesForTier(tiers, 'enterprise');
  const next = (image: { repository: string }) => ({ ...image, tag: 'next' });
  staged = (values) => ({
    ...base,
    inactiveSlot: {
      images: { api: next(base.images.api), web: next(base.images.web), migrations: next(base.images.migrations) },
      replicas: { api: 2, web: 2 },
    },
    ...values,
  });
});

describe('tenant chart: the blue-green smoke check', () => {
  it('renders nothing for it when disabled, or when no slot is staged', async () => {
    const without = await renderChart(staged({}));
    const idle = await renderChart({ ...valuesForTier(tiers, 'enterprise'), smokeCheck: { enabled: true } });
    for (const list of [without, idle]) {
      expect(names(list, 'Service')).toEqual([`${id}-api`, `${id}-web`]);
      expect(names(list, 'NetworkPolicy').filter((n) => n.includes('smoke'))).toEqual([]);
    }
  });

  it('gives the staged slot Services named after it, whichever slot that is', async () => {
    for (const [active, other] of [
      ['blue', 'green'],
      ['green', 'blue'],
    ] as const) {
      const objects = await renderChart(staged({ activeSlot: active, smokeCheck: { enabled: true } }));
      expect(names(objects, 'Service')).toEqual([`${id}-api`, `${id}-api-${other}`, `${id}-web`, `${id}-web-${other}`].sort());
      for (const component of ['api', 'web']) {
        const service = findObject(objects, 'Service', `${id}-${component}-${other}`);
        expect(service.spec.selector).toEqual(pods(component, other));
        expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
        // The main Services still select the active slot.
        expect(findObject(objects, 'Service', `${id}-${component}`).spec.selector[SLOT]).toBe(active);
      }
    }
  });

  it("lets the check's pods reach the staged slot's API and Web ports and nothing else, and nothing reach them", async () => {
    const objects = await renderChart(staged({ smokeCheck: { enabled: true } }));
    const out = findObject(objects, 'NetworkPolicy', `${id}-smoke-check`).spec;
    expect(out).toEqual({
      podSelector: { matchLabels: smokePods },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        { to: [{ podSelector: { matchLabels: pods('api', 'green') } }], ports: [{ port: 15567, protocol: 'TCP' }] },
        { to: [{ podSelector: { matchLabels: pods('web', 'green') } }], ports: [{ port: 3000, protocol: 'TCP' }] },
      ],
    });
    for (const [component, port] of [
      ['api', 15567],
      ['web', 3000],
    ] as const) {
      expect(findObject(objects, 'NetworkPolicy', `${id}-${component}-smoke-check`).spec).toEqual({
        podSelector: { matchLabels: pods(component, 'green') },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: smokePods } }], ports: [{ port, protocol: 'TCP' }] }],
      });
    }
    // The blue pods that serve are not opened to the check.
    const disabled = await renderChart(
      staged({ smokeCheck: { enabled: true }, networkPolicy: { ...valuesForTier(tiers, 'enterprise').networkPolicy, enabled: false } }),
    );
    expect(names(disabled, 'NetworkPolicy')).toEqual([]);
    expect(names(disabled, 'Service')).toContain(`${id}-api-green`);
  });
});
