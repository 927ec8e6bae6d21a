import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** File names of the sandbox's keys and certificates inside its state directory. */
export type Pki = {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
};

export function pkiPaths(dir: string): Pki {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}

const openssl = (args: string[]) => execa('openssl', args);

async function keyPair(key: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
}

async function signed(dir: string, name: string, subject: string, extensions: string, pki: Pki, key: string, cert: string) {
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await keyPair(key);
  await openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  await writeFile(ext, extensions);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-days',
    '365',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
}

/**
 * A throwaway CA, the API server's serving certificate, an admin client certificate in
 * `system:masters`, and the service-account signing key pair.
 */
export async function createPki(dir: string): Promise<Pki> {
  const pki = pkiPaths(dir);
  await keyPair(pki.caKey);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    pki.caKey,
    '-subj',
    '/CN=tenant-provisioner-sandbox-ca',
    '-days',
    '365',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out',
    pki.caCert,
  ]);
  await signed(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
      '',
    ].join('\n'),
    pki,
    pki.serverKey,
    pki.serverCert,
  );
  await signed(
    dir,
    'admin',
    '/O=system:masters/CN=sandbox-admin',
    ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth', ''].join('\n'),
    pki,
    pki.adminKey,
    pki.adminCert,
  );
  await keyPair(pki.serviceAccountKey);
  await openssl(['pkey', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub]);
  return pki;
}
