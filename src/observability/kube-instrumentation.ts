import {
  IsomorphicFetchHttpLibrary,
  ServerConfiguration,
  Watch,
  createConfiguration,
  setHeaderMiddleware,
  wrapHttpLibrary,
  type ApiConstructor,
  type ApiType,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
import { codeLabel, describeKubeRequest, type KubeRequestObservation } from './kube-request.ts';

export type KubeRequestObserver = (request: KubeRequestObservation) => void;

const USER_AGENT = 'tenant-provisioner';

function serverOf(kc: KubeConfig) {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster in the kubeconfig');
  return { server: cluster.server, basePath: new URL(cluster.server).pathname };
}

/**
 * `kc.makeApiClient(ApiClass)` with every request observed. client-node's middleware sees a
 * request and a response separately and never a network failure, so the HTTP library itself is
 * wrapped: one observation per request, with its status or 'error'.
 */
export function observedApiClient<T extends ApiType>(
  kc: KubeConfig,
  ApiClass: ApiConstructor<T>,
  observe: KubeRequestObserver,
  middleware: ObservableMiddleware[] = [],
  // The kubeconfig itself by default; createKubernetes passes its pooled one (pooled-auth.ts).
  auth: SecurityAuthentication = kc,
): T {
  const { server, basePath } = serverOf(kc);
  const inner = new IsomorphicFetchHttpLibrary();
  const httpApi = wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const target = describeKubeRequest(request.getHttpMethod(), request.getUrl(), basePath);
      let status: number | undefined;
      try {
        const response = await inner.send(request).toPromise();
        status = response.httpStatusCode;
        return response;
      } finally {
        observe({ ...target, code: codeLabel(status) });
      }
    },
  });
  return new ApiClass(
    createConfiguration({
      baseServer: new ServerConfiguration(server, {}),
      authMethods: { default: auth },
      httpApi,
      middleware: [setHeaderMiddleware('User-Agent', USER_AGENT), ...middleware],
    }),
  );
}

/**
 * A client-node `Watch` whose requests are observed too (it calls `fetch` itself, bypassing the
 * API clients' HTTP library). One observation per watch request, when its response starts or fails.
 */
export class ObservedWatch extends Watch {
  readonly #observe: KubeRequestObserver;

  constructor(kc: KubeConfig, observe: KubeRequestObserver) {
    super(kc);
    this.#observe = observe;
  }

  override async watch(...[path, query, callback, done]: Parameters<Watch['watch']>): Promise<AbortController> {
    // Watch sends watch=true whatever the query says; `path` is relative to the server URL.
    const target = describeKubeRequest('GET', `${path}?watch=true`);
    // A refused watch calls `done` with the status before `watch()` resolves; a started one resolves first.
    let failure: unknown = undefined;
    let failed = false;
    const controller = await super.watch(path, query, callback, (error: unknown) => {
      if (!failed && error) {
        failed = true;
        failure = error;
      }
      done(error);
    });
    const status = failed ? statusOf(failure) : 200;
    this.#observe({ ...target, code: codeLabel(status) });
    return controller;
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
