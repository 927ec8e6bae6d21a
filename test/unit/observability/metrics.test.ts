import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { HelmClientOptions } from '../../../src/helm/helm-client.ts';
import { describeKubeRequest } from '../../../src/observability/kube-request.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';

const P = 'tenant_provisioner_';

async function samples(metrics: Metrics, name: string) {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values;
}

async function value(metrics: Metrics, name: string, labels: Record<string, string | number> = {}, metricName = name) {
  const found = (await samples(metrics, name)).find(
    (s) => ((s as { metricName?: string }).metricName ?? name) === metricName && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value;
}

const quiet = () => createMetrics({ processMetrics: false });

describe('createMetrics', () => {
  it('registers into a registry of its own, so two instances (two apps in one test) never collide', async () => {
    const a = quiet();
    const b = quiet();
    a.jobTransition('provision', 'enqueued');
    expect(a.registry).not.toBe(b.registry);
    expect(await value(a, `${P}jobs_total`, { operation: 'provision', state: 'enqueued' })).toBe(1);
    expect(await value(b, `${P}jobs_total`, { operation: 'provision', state: 'enqueued' })).toBe(0);
    expect(globalRegistry.getSingleMetric(`${P}jobs_total`)).toBeUndefined();
  });

  it('renders the Prometheus text format with every instrument the operators expect', async () => {
    const metrics = quiet();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.render();
    for (const name of [
      'jobs_total',
      'queue_jobs',
      'step_duration_seconds',
      'provisioning_duration_seconds',
      'sse_subscribers',
      'kubernetes_requests_total',
      'helm_invocations_total',
      'helm_duration_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${P}${name} `);
    }
    // Job series start at zero so dashboards and alerts see them before the first job.
    expect(text).toContain(`${P}jobs_total{operation="provision",state="failed"} 0`);
  });

  it('counts job transitions by operation and state', async () => {
    const metrics = quiet();
    metrics.jobTransition('provision', 'started');
    metrics.jobTransition('provision', 'started');
    metrics.jobTransition('deprovision', 'failed');
    expect(await value(metrics, `${P}jobs_total`, { operation: 'provision', state: 'started' })).toBe(2);
    expect(await value(metrics, `${P}jobs_total`, { operation: 'deprovision', state: 'failed' })).toBe(1);
  });

  it('observes step and provisioning durations in seconds, with their labels', async () => {
    const metrics = quiet();
    metrics.stepFinished('provision', 'deploy-chart', 'ok', 1500);
    metrics.stepFinished('provision', 'deploy-chart', 'error', 250);
    metrics.provisioningFinished('demo', 'ok', 42_000);
    const step = `${P}step_duration_seconds`;
    expect(await value(metrics, step, { operation: 'provision', step: 'deploy-chart', outcome: 'ok' }, `${step}_sum`)).toBe(1.5);
    expect(await value(metrics, step, { operation: 'provision', step: 'deploy-chart', outcome: 'error' }, `${step}_count`)).toBe(1);
    const prov = `${P}provisioning_duration_seconds`;
    expect(await value(metrics, prov, { tier: 'demo', outcome: 'ok' }, `${prov}_sum`)).toBe(42);
    expect(await value(metrics, prov, { tier: 'demo', outcome: 'ok', le: 45 }, `${prov}_bucket`)).toBe(1);
    expect(await value(metrics, prov, { tier: 'demo', outcome: 'ok', le: 30 }, `${prov}_bucket`)).toBe(0);
  });

  it('tracks open SSE streams; a release called twice counts once', async () => {
    const metrics = quiet();
    const first = metrics.sseSubscribed();
    const second = metrics.sseSubscribed();
    expect(await value(metrics, `${P}sse_subscribers`)).toBe(2);
    first();
    first();
    expect(await value(metrics, `${P}sse_subscribers`)).toBe(1);
    second();
    expect(await value(metrics, `${P}sse_subscribers`)).toBe(0);
  });

  it('plugs into createHelmClient as onInvoke: invocations, failures and durations by command', async () => {
    const metrics = quiet();
    const options: HelmClientOptions = { binary: 'helm', env: {}, onInvoke: metrics.helmInvoked };
    options.onInvoke?.('upgrade', 'ok', 2_000);
    options.onInvoke?.('upgrade', 'error', 500);
    options.onInvoke?.('status', 'ok', 80);
    expect(await value(metrics, `${P}helm_invocations_total`, { command: 'upgrade', outcome: 'error' })).toBe(1);
    expect(await value(metrics, `${P}helm_invocations_total`, { command: 'status', outcome: 'ok' })).toBe(1);
    const d = `${P}helm_duration_seconds`;
    expect(await value(metrics, d, { command: 'upgrade', outcome: 'ok' }, `${d}_sum`)).toBe(2);
  });

  it('counts Kubernetes requests by verb, group, resource and code', async () => {
    const metrics = quiet();
    const observe = (method: string, url: string, code: string) => metrics.kubernetesRequest({ ...describeKubeRequest(method, url), code });
    observe('GET', 'https://k:6443/api/v1/namespaces/tenant-a/secrets/s', '200');
    observe('GET', 'https://k:6443/api/v1/namespaces/tenant-a/secrets/s', '404');
    observe('POST', 'https://k:6443/api/v1/namespaces', '201');
    observe('POST', 'https://k:6443/api/v1/namespaces', 'error');
    const k = `${P}kubernetes_requests_total`;
    expect(await value(metrics, k, { verb: 'get', group: '', resource: 'secrets', code: '404' })).toBe(1);
    expect(await value(metrics, k, { verb: 'create', resource: 'namespaces', code: '201' })).toBe(1);
    expect(await value(metrics, k, { verb: 'create', resource: 'namespaces', code: 'error' })).toBe(1);
  });

  it('reads queue depth at scrape time, and a failing read empties the gauge instead of failing the scrape', async () => {
    let counts: Record<string, number> | Error = { waiting: 3, active: 1, failed: 0 };
    const metrics = createMetrics({
      processMetrics: false,
      queueCounts: async () => {
        if (counts instanceof Error) throw counts;
        return counts;
      },
    });
    expect(await value(metrics, `${P}queue_jobs`, { state: 'waiting' })).toBe(3);
    counts = { waiting: 0, active: 2 };
    expect(await value(metrics, `${P}queue_jobs`, { state: 'active' })).toBe(2);
    counts = new Error('redis down');
    expect(await samples(metrics, `${P}queue_jobs`)).toEqual([]);
    await expect(metrics.render()).resolves.toContain(`# TYPE ${P}queue_jobs gauge`);
  });

  it('includes Node process metrics by default', async () => {
    const text = await createMetrics().render();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });
});

describe('describeKubeRequest', () => {
  it.each([
    ['GET', '/api/v1/namespaces', 'list', '', 'namespaces'],
    ['GET', '/api/v1/namespaces/tenant-a', 'get', '', 'namespaces'],
    ['PATCH', '/api/v1/namespaces/tenant-a', 'patch', '', 'namespaces'],
    ['DELETE', '/api/v1/namespaces/tenant-a', 'delete', '', 'namespaces'],
    ['PUT', '/api/v1/namespaces/tenant-a/finalize', 'update', '', 'namespaces/finalize'],
    ['GET', '/api/v1/namespaces/tenant-a/status', 'get', '', 'namespaces/status'],
    ['GET', '/api/v1/namespaces/tenant-a/secrets?labelSelector=owner%3Dhelm', 'list', '', 'secrets'],
    ['POST', '/api/v1/namespaces/tenant-a/secrets', 'create', '', 'secrets'],
    ['PUT', '/api/v1/namespaces/tenant-a/secrets/sh.helm.release.v1.t.v2', 'update', '', 'secrets'],
    ['DELETE', '/api/v1/namespaces/tenant-a/pods', 'deletecollection', '', 'pods'],
    ['GET', '/api/v1/namespaces/tenant-a/pods/p-1/log', 'get', '', 'pods/log'],
    ['GET', '/apis/apps/v1/namespaces/tenant-a/deployments?watch=true&fieldSelector=x', 'watch', 'apps', 'deployments'],
    ['PATCH', '/apis/apps/v1/namespaces/tenant-a/deployments/api/scale', 'patch', 'apps', 'deployments/scale'],
    ['GET', '/apis/postgresql.cnpg.io/v1/namespaces/tenant-a/clusters/db', 'get', 'postgresql.cnpg.io', 'clusters'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', 'list', 'rbac.authorization.k8s.io', 'clusterroles'],
    ['POST', '/apis/authentication.k8s.io/v1/tokenreviews', 'create', 'authentication.k8s.io', 'tokenreviews'],
    ['GET', '/version', 'get', '', '/version'],
    ['GET', '/apis/apps/v1', 'get', '', '/apis/apps/v1'],
    ['GET', '/api', 'get', '', '/api'],
  ])('%s %s is %s on %s/%s', (method, path, verb, group, resource) => {
    expect(describeKubeRequest(method, `https://10.0.0.1:6443${path}`)).toEqual({ verb, group, resource });
  });

  it('strips the server URL path of clusters behind a proxy', () => {
    expect(describeKubeRequest('GET', 'https://rancher.example/k8s/clusters/c-1/api/v1/namespaces/api', '/k8s/clusters/c-1/')).toEqual({
      verb: 'get',
      group: '',
      resource: 'namespaces',
    });
  });

  it('decodes escaped path segments', () => {
    expect(describeKubeRequest('GET', '/api/v1/namespaces/t/configmaps/a%2Eb').resource).toBe('configmaps');
  });
});
