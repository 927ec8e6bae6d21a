import { PatchStrategy } from '@kubernetes/client-node';
import { callOptions, contentType } from './kube-call.ts';
import type { Kubernetes } from './kube-client.ts';

/**
 * Points a Service at other pods by changing one label of its selector (a merge patch: the other
 * labels stay). Helm applies with --force-conflicts, so its next upgrade takes the field back.
 */
export async function setServiceSelectorLabel(
  kube: Pick<Kubernetes, 'core'>,
  namespace: string,
  name: string,
  label: string,
  value: string,
  signal?: AbortSignal,
) {
  await kube.core.patchNamespacedService(
    { namespace, name, body: { spec: { selector: { [label]: value } } } },
    callOptions(signal, [contentType(PatchStrategy.MergePatch)]),
  );
}

/** The value of one label of a Service's selector, or undefined when the Service or the label is missing. */
export async function serviceSelectorLabel(kube: Pick<Kubernetes, 'core'>, namespace: string, name: string, label: string, signal?: AbortSignal) {
  const service = await kube.core.readNamespacedService({ namespace, name }, callOptions(signal));
  return service.spec?.selector?.[label];
}
