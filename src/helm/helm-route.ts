import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { KubernetesSource } from '../kubernetes/kube-client.ts';

/** Where a job's Helm children reach the API server: the real server, and Helm's flags to go through a fence instead. */
export type HelmApiRoute = {
  /** The real API server (host without brackets) the fence forwards to. */
  readonly target: { host: string; port: number };
  /**
   * Helm's global flags for a fence on loopback `port`. Only the address changes: the CA and the
   * credentials still come from the kubeconfig, and the certificate is checked against the real
   * server's name. Nothing secret: a path at most.
   */
  flags(port: number): string[];
  /** Removes what the route wrote (the in-cluster kubeconfig). */
  dispose(): void;
};

/** client-go's in-cluster files (rest.InClusterConfig); referenced by path, never read. */
const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The route to `server` (a kubeconfig's server URL): IPv6 brackets removed from the target; the
 * path kept (a proxy in front of the API server may serve it under one); the certificate checked
 * against the kubeconfig's tls-server-name, else the server's own host. `kubeconfig` is passed to
 * Helm when it is not the one Helm would read anyway.
 */
export function helmRouteTo(server: string, tlsServerName?: string, kubeconfig?: string): Omit<HelmApiRoute, 'dispose'> {
  const url = new URL(server);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`API server ${url.href}: only https and http are supported`);
  const tls = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (tls ? 443 : 80));
  const path = url.pathname === '/' ? '' : url.pathname;
  const serverName = tlsServerName ?? host;
  return {
    target: { host, port },
    flags: (fencePort: number) => [
      ...(kubeconfig ? ['--kubeconfig', kubeconfig] : []),
      '--kube-apiserver',
      `${url.protocol}//127.0.0.1:${fencePort}${path}`,
      ...(tls ? ['--kube-tls-server-name', serverName] : []),
    ],
  };
}

/**
 * Resolves, once per worker process, the API server Helm talks to. With a kubeconfig, it is the
 * server of the file's current context, as Helm (which gets no --kube-context) picks it. In a pod,
 * Helm would use its in-cluster config, which ignores --kube-tls-server-name; so a kubeconfig is
 * written that says what in-cluster config says (the service host, the CA file, the token file),
 * by path: the token is never copied, and a rotated one is read by Helm as before.
 * `serviceAccountDir` is where the pod's CA and token are mounted (client-go's path unless a test says).
 */
export function resolveHelmRoute(source: KubernetesSource, env: NodeJS.ProcessEnv, serviceAccountDir = SERVICE_ACCOUNT): HelmApiRoute {
  if (source.source === 'kubeconfig') {
    const kc = new KubeConfig();
    kc.loadFromFile(source.kubeconfig);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`no current cluster in ${source.kubeconfig}`);
    return { ...helmRouteTo(cluster.server, cluster.tlsServerName), dispose: () => undefined };
  }
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) throw new Error('in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set');
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'tp-helm-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, inClusterKubeconfig(server, serviceAccountDir), { mode: 0o600 });
  return {
    ...helmRouteTo(server, undefined, kubeconfig),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** In-cluster config as a kubeconfig: the service address, and the CA and token by path. */
export function inClusterKubeconfig(server: string, root = SERVICE_ACCOUNT): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'in-cluster', cluster: { server, 'certificate-authority': `${root}/ca.crt` } }],
    users: [{ name: 'in-cluster', user: { tokenFile: `${root}/token` } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'in-cluster' } }],
    'current-context': 'in-cluster',
  });
}
