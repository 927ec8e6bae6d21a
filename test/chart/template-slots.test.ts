import { beforeAll, describe, expect, it } from 'vitest';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { findObject, renderChart, renderError, type K8sObject } from './helm.ts';
import { loadTiers, valuesForTier } from './tier-values.ts';

// Blue-green slots (issue 14, part 3): the API and Web run as a Deployment per slot and the
// Services select the active one, while policies and disruption budgets cover both slots.
const id = 'acme-enterprise';
const SLOT = 'tenant-provisioner.io/slot';
let tiers: TiersConfig;
let blue: K8sObject[];

beforeAll(async () => {
  tiers = await loadTiers();
  blue = await renderChart(valuesForTier(tiers, 'enterprise'));
});

const deployments = (list: K8sObject[]) =>
  list
    .filter((o) => o.kind === 'Deployment')
    .map((d) => d.metadata.name)
    .sort();

describe('tenant chart: blue-green slots', () => {
  it('starts on blue: one Deployment per component, named and labelled with the slot, and the Services select it', () => {
    expect(deployments(blue)).toEqual([`${id}-api-blue`, `${id}-web-blue`]);
    for (const component of ['api', 'web']) {
      const d = findObject(blue, 'Deployment', `${id}-${component}-blue`);
      expect(d.spec.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': component, [SLOT]: 'blue' });
      expect(d.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': component, [SLOT]: 'blue' });
      const spread = d.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels;
      expect(spread[SLOT]).toBe('blue');
      expect(findObject(blue, 'Service', `${id}-${component}`).spec.selector).toMatchObject({ 'app.kubernetes.io/component': component, [SLOT]: 'blue' });
    }
  });

  it('renders green under green names, with the same Service names the Ingress routes to', async () => {
    const green = await renderChart({ ...valuesForTier(tiers, 'enterprise'), activeSlot: 'green' });
    expect(deployments(green)).toEqual([`${id}-api-green`, `${id}-web-green`]);
    for (const component of ['api', 'web']) {
      expect(findObject(green, 'Service', `${id}-${component}`).spec.selector[SLOT]).toBe('green');
      expect(findObject(green, 'Deployment', `${id}-${component}-green`).spec.template.metadata.labels[SLOT]).toBe('green');
    }
  });

  it('runs the inactive slot beside the active one only during a switch window, with its own images and replicas', async () => {
    const base = valuesForTier(tiers, 'enterprise');
    const next = { repository: 'ghcr.io/mechanicbuddy/api', tag: 'next' };
    const window = await renderChart({
      ...base,
      inactiveSlot: {
        images: { api: next, web: { ...base.images.web, tag: 'next' }, migrations: { ...base.images.migrations, tag: 'next' } },
        replicas: { api: 1, web: 2 },
      },
    });
    expect(deployments(window)).toEqual([`${id}-api-blue`, `${id}-api-green`, `${id}-web-blue`, `${id}-web-green`]);
    const green = findObject(window, 'Deployment', `${id}-api-green`);
    expect(green.spec.replicas).toBe(1);
    expect(findObject(window, 'Deployment', `${id}-web-green`).spec.replicas).toBe(2);
    expect(green.spec.template.spec.containers[0].image).toBe('ghcr.io/mechanicbuddy/api:next');
    expect(green.spec.template.spec.initContainers.map((c: { image: string }) => c.image.split(':').at(-1))).toEqual(['17.5', 'next']);
    expect(green.spec.template.metadata.labels).toMatchObject({ [SLOT]: 'green', 'app.kubernetes.io/version': 'next' });
    // The active slot and the Services are as they were: the window switches nothing.
    const blueApi = findObject(window, 'Deployment', `${id}-api-blue`);
    expect(blueApi).toEqual(findObject(blue, 'Deployment', `${id}-api-blue`));
    expect(findObject(window, 'Service', `${id}-api`)).toEqual(findObject(blue, 'Service', `${id}-api`));
    // Hibernation stops both slots.
    const asleep = await renderChart({
      ...base,
      hibernated: true,
      inactiveSlot: { images: { api: next, web: base.images.web, migrations: base.images.migrations }, replicas: { api: 1, web: 1 } },
    });
    expect(asleep.filter((o) => o.kind === 'Deployment').map((d) => d.spec.replicas)).toEqual([0, 0, 0, 0]);
  });

  it('selects both slots in NetworkPolicies and PodDisruptionBudgets (by component, never by slot)', () => {
    // Every label selector in them: pod selectors, peers' selectors, the budgets' selectors.
    const selectors = blue
      .filter((o) => o.kind === 'NetworkPolicy' || o.kind === 'PodDisruptionBudget')
      .flatMap((o) => Array.from(JSON.stringify(o.spec).matchAll(/"matchLabels":(\{[^}]*\})/g), (m) => JSON.parse(m[1]!) as Record<string, string>));
    expect(selectors.some((labels) => labels['app.kubernetes.io/component'] === 'api')).toBe(true);
    expect(
      blue
        .filter((o) => o.kind === 'PodDisruptionBudget')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual([`${id}-api`, `${id}-web`]);
    for (const labels of selectors) expect(labels[SLOT]).toBeUndefined();
  });

  it('refuses a slot other than blue or green', async () => {
    expect(await renderError({ ...valuesForTier(tiers, 'enterprise'), activeSlot: 'purple' })).toMatch(/activeSlot/);
  });
});
