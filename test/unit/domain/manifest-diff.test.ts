import { describe, expect, it } from 'vitest';
import { diffManifests } from '../../../src/domain/manifest-diff.ts';

const service = (slot: string) =>
  `---\n# Source: x/templates/api-service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: t-api\nspec:\n  selector:\n    app: api\n    slot: ${slot}\n  ports:\n    - port: 80\n`;
const deployment = (name: string, tag: string) =>
  `---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: api\n          image: "ghcr.io/mb/api:${tag}"\n`;

describe('diffManifests', () => {
  it('names created, deleted and updated objects, with the fields that change, and leaves out the unchanged', () => {
    const live = service('blue') + deployment('t-api-blue', 'v1') + deployment('t-old', 'v1');
    const next = service('green') + deployment('t-api-blue', 'v1') + deployment('t-api-green', 'v2');
    expect(diffManifests(live, next)).toEqual([
      { kind: 'Deployment', name: 't-api-green', action: 'create', paths: [], images: ['ghcr.io/mb/api:v2'] },
      { kind: 'Deployment', name: 't-old', action: 'delete', paths: [] },
      { kind: 'Service', name: 't-api', action: 'update', paths: ['spec.selector.slot'] },
    ]);
    expect(diffManifests(live, live)).toEqual([]);
    expect(diffManifests(deployment('d', 'v1'), deployment('d', 'v2'))).toEqual([
      { kind: 'Deployment', name: 'd', action: 'update', paths: ['spec.template.spec.containers[0].image'], images: ['ghcr.io/mb/api:v2'] },
    ]);
    // A workload whose images stay says nothing of them; init containers' images come first.
    const scaled = deployment('d', 'v1').replace('replicas: 2', 'replicas: 3');
    expect(diffManifests(deployment('d', 'v1'), scaled)).toEqual([{ kind: 'Deployment', name: 'd', action: 'update', paths: ['spec.replicas'] }]);
    const migrated = deployment('d', 'v2').replace(
      '      containers:',
      '      initContainers:\n        - name: migrate\n          image: ghcr.io/mb/migrations:v2\n      containers:',
    );
    expect(diffManifests('', migrated)).toEqual([
      { kind: 'Deployment', name: 'd', action: 'create', paths: [], images: ['ghcr.io/mb/migrations:v2', 'ghcr.io/mb/api:v2'] },
    ]);
  });
});
