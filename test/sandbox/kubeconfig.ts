import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { stringify } from 'yaml';
import type { Pki } from './pki.ts';

/** An admin kubeconfig with the certificates embedded, so it works from any directory. */
export async function adminKubeconfig(server: string, pki: Pki): Promise<string> {
  const b64 = async (file: string) => (await readFile(file)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sandbox', cluster: { server, 'certificate-authority-data': await b64(pki.caCert) } }],
    users: [{ name: 'sandbox-admin', user: { 'client-certificate-data': await b64(pki.adminCert), 'client-key-data': await b64(pki.adminKey) } }],
    contexts: [{ name: 'sandbox', context: { cluster: 'sandbox', user: 'sandbox-admin' } }],
    'current-context': 'sandbox',
  });
}

/** GET `path` on the API server as admin; resolves with the status code and body (never throws on HTTP errors). */
export async function adminGet(server: string, pki: Pki, path: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  const [ca, cert, key] = await Promise.all([readFile(pki.caCert), readFile(pki.adminCert), readFile(pki.adminKey)]);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server), { ca, cert, key, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
