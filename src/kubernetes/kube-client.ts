import { observedApiClient, ObservedWatch, type KubeRequestObserver } from '../observability/kube-instrumentation.ts';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, VersionApi, Watch } from '@kubernetes/client-node';

export type KubernetesSource = { source: 'kubeconfig'; kubeconfig: string; context?: string | undefined } | { source: 'in-cluster' };

/** The API clients the service uses, all built from one KubeConfig. */
export type Kubernetes = {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  rbac: RbacAuthorizationV1Api;
  authorization: AuthorizationV1Api;
  version: VersionApi;
  watch: Watch;
};

/** Builds the clients; with `observe`, every API request and watch is counted (metrics). */
export function createKubernetes(source: KubernetesSource, observe?: KubeRequestObserver): Kubernetes {
  const kc = new KubeConfig();
  if (source.source === 'in-cluster') kc.loadFromCluster();
  else {
    kc.loadFromFile(source.kubeconfig);
    if (source.context) kc.setCurrentContext(source.context);
  }
  return {
    kc,
    core: observe ? observedApiClient(kc, CoreV1Api, observe) : kc.makeApiClient(CoreV1Api),
    apps: observe ? observedApiClient(kc, AppsV1Api, observe) : kc.makeApiClient(AppsV1Api),
    custom: observe ? observedApiClient(kc, CustomObjectsApi, observe) : kc.makeApiClient(CustomObjectsApi),
    rbac: observe ? observedApiClient(kc, RbacAuthorizationV1Api, observe) : kc.makeApiClient(RbacAuthorizationV1Api),
    authorization: observe ? observedApiClient(kc, AuthorizationV1Api, observe) : kc.makeApiClient(AuthorizationV1Api),
    version: observe ? observedApiClient(kc, VersionApi, observe) : kc.makeApiClient(VersionApi),
    watch: observe ? new ObservedWatch(kc, observe) : new Watch(kc),
  };
}
