import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi, Watch } from '@kubernetes/client-node';

export type KubernetesSource = { source: 'kubeconfig'; kubeconfig: string; context?: string | undefined } | { source: 'in-cluster' };

/** The API clients the service uses, all built from one KubeConfig. */
export type Kubernetes = {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  version: VersionApi;
  watch: Watch;
};

export function createKubernetes(source: KubernetesSource): Kubernetes {
  const kc = new KubeConfig();
  if (source.source === 'in-cluster') kc.loadFromCluster();
  else {
    kc.loadFromFile(source.kubeconfig);
    if (source.context) kc.setCurrentContext(source.context);
  }
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    version: kc.makeApiClient(VersionApi),
    watch: new Watch(kc),
  };
}
