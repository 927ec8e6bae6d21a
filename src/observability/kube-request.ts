/** One Kubernetes API request as the metrics see it: the RBAC verb, the resource and the answer. */
export type KubeRequestObservation = {
  verb: string;
  /** API group; '' for the core group and for non-resource paths. */
  group: string;
  /** Plural resource, `resource/subresource`, or the path itself for non-resource URLs (`/version`). */
  resource: string;
  /** HTTP status, or 'error' when no response arrived (network failure, abort). */
  code: string;
};

type Target = Pick<KubeRequestObservation, 'verb' | 'group' | 'resource'>;

// Segments after /namespaces/{name} that are subresources of the Namespace, not resources inside it.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * Names a request the way the API server's authorizer does (get, list, watch, create, update,
 * patch, delete, deletecollection) from its method and URL. `basePath` is the server URL's own path
 * (clusters behind a proxy such as `/k8s/clusters/c-1`), stripped before parsing.
 */
export function describeKubeRequest(method: string, url: string, basePath = ''): Target {
  const parsed = new URL(url, 'http://in-cluster');
  const prefix = basePath.replace(/\/+$/, '');
  const path = prefix && parsed.pathname.startsWith(`${prefix}/`) ? parsed.pathname.slice(prefix.length) : parsed.pathname;
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  const m = method.toUpperCase();

  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] as string;
    rest = segments.slice(3);
  } else {
    return { verb: m.toLowerCase(), group: '', resource: `/${segments.join('/')}` };
  }

  // rest: [resource, name?, subresource?] or ['namespaces', ns, resource, name?, subresource?]
  let resource: string;
  let named: boolean;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2] as string))) {
    resource = rest[2] as string;
    named = rest.length >= 4;
    if (rest.length >= 5) resource = `${resource}/${rest[4]}`;
  } else {
    resource = rest[0] as string;
    named = rest.length >= 2;
    if (rest.length >= 3) resource = `${resource}/${rest[2]}`;
  }

  const watching = ['true', '1'].includes(parsed.searchParams.get('watch') ?? '');
  const verb =
    m === 'GET'
      ? watching
        ? 'watch'
        : named
          ? 'get'
          : 'list'
      : m === 'POST'
        ? 'create'
        : m === 'PUT'
          ? 'update'
          : m === 'PATCH'
            ? 'patch'
            : m === 'DELETE'
              ? named
                ? 'delete'
                : 'deletecollection'
              : m.toLowerCase();
  return { verb, group, resource };
}

/** The `code` label: the status, or 'error' when the request got no HTTP answer. */
export const codeLabel = (status: number | undefined): string => (status === undefined ? 'error' : String(status));
