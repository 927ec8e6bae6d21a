import { observedApiClient, ObservedWatch, type KubeRequestObserver } from '../observability/kube-instrumentation.ts';
import {
  AppsV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
  Watch,
  createConfiguration,
  ServerConfiguration,
  setHeaderMiddleware,
  type ApiConstructor,
  type ApiType,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
import { requestDeadline } from './kube-call.ts';
import { pooledKubeAuth } from './pooled-auth.ts';

export type KubernetesSource = { source: 'kubeconfig'; kubeconfig: string; context?: string | undefined } | { source: 'in-cluster' };

/** The API clients the service uses, all built from one KubeConfig. */
export type Kubernetes = {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** Jobs: the blue-green smoke check (smoke-check-job.ts) and exports (export-job.ts). */
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  rbac: RbacAuthorizationV1Api;
  authorization: AuthorizationV1Api;
  version: VersionApi;
  watch: Watch;
  /** Closes the API clients' shared connections (watches close with their own controllers). */
  close(): Promise<void>;
};

export type KubernetesOptions = {
  /** Observes every API request and watch (metrics). */
  observe?: KubeRequestObserver | undefined;
  /** Deadline of each API request, watches excepted (default 30 s). */
  requestTimeoutMs?: number | undefined;
};

/** Builds the clients; every API request has a deadline, and with `observe` every request and watch is counted. */
export function createKubernetes(source: KubernetesSource, options: KubernetesOptions = {}): Kubernetes {
  const kc = new KubeConfig();
  if (source.source === 'in-cluster') kc.loadFromCluster();
  else {
    kc.loadFromFile(source.kubeconfig);
    if (source.context) kc.setCurrentContext(source.context);
  }
  const deadline = requestDeadline(options.requestTimeoutMs ?? 30_000);
  const observe = options.observe;
  const auth = pooledKubeAuth(kc);
  const client = <T extends ApiType>(Api: ApiConstructor<T>): T =>
    observe ? observedApiClient(kc, Api, observe, [deadline], auth) : plainApiClient(kc, auth, Api, deadline);
  return {
    kc,
    core: client(CoreV1Api),
    apps: client(AppsV1Api),
    batch: client(BatchV1Api),
    custom: client(CustomObjectsApi),
    rbac: client(RbacAuthorizationV1Api),
    authorization: client(AuthorizationV1Api),
    version: client(VersionApi),
    watch: observe ? new ObservedWatch(kc, observe) : new Watch(kc),
    close: () => auth.close(),
  };
}

// `kc.makeApiClient` with our middleware after its User-Agent header.
function plainApiClient<T extends ApiType>(
  kc: KubeConfig,
  auth: SecurityAuthentication,
  Api: ApiConstructor<T>,
  deadline: ReturnType<typeof requestDeadline>,
): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster in the kubeconfig');
  return new Api(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: auth },
      middleware: [setHeaderMiddleware('User-Agent', 'tenant-provisioner'), deadline],
    }),
  );
}
