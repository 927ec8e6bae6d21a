import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { helmRouteTo, inClusterKubeconfig } from '../../../src/helm/helm-route.ts';

describe("the route of a job's Helm through its API fence", () => {
  it('forwards to the real server and checks its certificate against the real name', () => {
    const route = helmRouteTo('https://api.example.com:6443');
    expect(route.target).toEqual({ host: 'api.example.com', port: 6443 });
    expect(route.flags(40123)).toEqual(['--kube-apiserver', 'https://127.0.0.1:40123', '--kube-tls-server-name', 'api.example.com']);
  });

  it("keeps a kubeconfig's tls-server-name, the default port and a path prefix", () => {
    const route = helmRouteTo('https://10.0.0.1/k8s/clusters/c-1', 'kubernetes.default.svc');
    expect(route.target).toEqual({ host: '10.0.0.1', port: 443 });
    expect(route.flags(1)).toEqual(['--kube-apiserver', 'https://127.0.0.1:1/k8s/clusters/c-1', '--kube-tls-server-name', 'kubernetes.default.svc']);
  });

  it('connects to an IPv6 server without brackets, and names it without them', () => {
    const route = helmRouteTo('https://[fd00::1]:6443');
    expect(route.target).toEqual({ host: 'fd00::1', port: 6443 });
    expect(route.flags(2)).toContain('fd00::1');
  });

  it('sends no TLS server name to a plain http server', () => {
    const route = helmRouteTo('http://127.0.0.1:8080');
    expect(route.target).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(route.flags(3)).toEqual(['--kube-apiserver', 'http://127.0.0.1:3']);
  });

  it('refuses a scheme it cannot relay', () => {
    expect(() => helmRouteTo('unix:///var/run/k8s.sock')).toThrow(/only https and http/);
  });

  it('in a pod: a kubeconfig saying what in-cluster config says, the CA and the token by path, and Helm told to read it', () => {
    const text = inClusterKubeconfig('https://10.96.0.1:443');
    const doc = parse(text) as Record<string, unknown>;
    expect(doc).toMatchObject({
      'current-context': 'in-cluster',
      clusters: [
        { name: 'in-cluster', cluster: { server: 'https://10.96.0.1:443', 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' } },
      ],
      users: [{ name: 'in-cluster', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }],
    });
    expect(text).not.toMatch(/\btoken:/);
    expect(helmRouteTo('https://10.96.0.1:443', undefined, '/tmp/k/kubeconfig').flags(4)).toEqual([
      '--kubeconfig',
      '/tmp/k/kubeconfig',
      '--kube-apiserver',
      'https://127.0.0.1:4',
      '--kube-tls-server-name',
      '10.96.0.1',
    ]);
  });
});
