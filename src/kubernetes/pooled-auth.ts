import type { KubeConfig, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';

type Dispatcher = ReturnType<RequestContext['getDispatcher']>;

/**
 * The kubeconfig as the API clients' authentication, with one connection pool for all their
 * requests. client-node 2.0 gives every request a new undici Agent
 * (KubeConfig.applySecurityAuthentication), so each call opened a TLS connection of its own: a
 * handshake with the client certificate on both sides, per namespace create, per status read, per
 * watch restart's list (a CPU profile of the API under intake put TLS set-up at the top of its own
 * code's time). Headers, where a rotating token or exec credentials live, are still applied to
 * every request by the kubeconfig itself (it has no public way to apply them alone, so it still
 * builds an Agent per request, never connected and dropped here); only the pool, built by the first request from the kubeconfig's TLS material, is
 * kept for the clients' life, as client-go keeps one transport per configuration. Watches keep
 * their own connections (Watch builds its request itself).
 */
export function pooledKubeAuth(kc: KubeConfig): SecurityAuthentication & { close(): Promise<void> } {
  let pool: Dispatcher;
  let closed: Promise<void> | undefined;
  return {
    getName: () => 'kubeconfig authentication, one connection pool',
    async applySecurityAuthentication(context: RequestContext) {
      await kc.applySecurityAuthentication(context);
      pool ??= context.getDispatcher();
      if (pool) context.setDispatcher(pool);
    },
    // Once: a second close (tests, a releaser run twice) must not reject on the closed pool.
    close() {
      closed ??= pool?.close() ?? Promise.resolve();
      return closed;
    },
  };
}
