{{/*
Naming and labels. Every object is named "<tenant id>-<suffix>" (the namespace already isolates
tenants; the prefix keeps names recognisable in logs and matches the seed's names).
*/}}

{{- define "mbt.name" -}}
{{- .Values.tenant.id -}}
{{- end -}}

{{/* The Cluster the application uses: the first database, or the one a restore made. */}}
{{- define "mbt.postgresName" -}}
{{- .Values.postgres.serving | default (printf "%s-postgres" .Values.tenant.id) -}}
{{- end -}}

{{/* The tenant's Barman Cloud ObjectStore (backup tiers). */}}
{{- define "mbt.objectStoreName" -}}
{{- printf "%s-object-store" .Values.tenant.id -}}
{{- end -}}

{{/* A clone's read-only view of its source tenant's archive. */}}
{{- define "mbt.cloneSourceStoreName" -}}
{{- printf "%s-clone-source" .Values.tenant.id -}}
{{- end -}}

{{- define "mbt.barmanCloudPlugin" -}}
barman-cloud.cloudnative-pg.io
{{- end -}}

{{/*
The keys the ObjectStore reads from backup.credentialsSecret, as a JSON list: none for GKE's
workload identity without a private CA. src/domain/backup-store.ts (requiredCredentialKeys) says
the same for the service; the chart tests hold the two together.
*/}}
{{- define "mbt.backupCredentialKeys" -}}
{{- $b := .Values.backup -}}
{{- $keys := list -}}
{{- if eq $b.provider "s3" -}}
{{- $keys = list "ACCESS_KEY_ID" "ACCESS_SECRET_KEY" -}}
{{- if $b.s3.region -}}{{- $keys = append $keys "ACCESS_REGION" -}}{{- end -}}
{{- else if eq $b.provider "gcs" -}}
{{- if not $b.gcs.gkeEnvironment -}}{{- $keys = append $keys "APPLICATION_CREDENTIALS" -}}{{- end -}}
{{- else if eq $b.azure.credentials "connectionString" -}}
{{- $keys = list "AZURE_CONNECTION_STRING" -}}
{{- else if eq $b.azure.credentials "storageKey" -}}
{{- $keys = list "AZURE_STORAGE_ACCOUNT" "AZURE_STORAGE_KEY" -}}
{{- else -}}
{{- $keys = list "AZURE_STORAGE_ACCOUNT" "AZURE_STORAGE_SAS_TOKEN" -}}
{{- end -}}
{{- if $b.endpointCA -}}{{- $keys = append $keys "ENDPOINT_CA" -}}{{- end -}}
{{- toJson $keys -}}
{{- end -}}

{{/* A reference to one key of the credentials Secret. Call with (dict "root" $ "key" "ACCESS_KEY_ID"). */}}
{{- define "mbt.backupSecretRef" -}}
name: {{ .root.Values.backup.credentialsSecret }}
key: {{ .key }}
{{- end -}}

{{/* Labels on every object. The tenant-id label lets the service find a tenant's objects anywhere. */}}
{{- define "mbt.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: mechanicbuddy
app.kubernetes.io/managed-by: {{ .Release.Service }}
tenant-provisioner.io/tenant-id: {{ .Values.tenant.id }}
tenant-provisioner.io/tier: {{ .Values.tenant.tier }}
{{- end -}}

{{/* Call with (dict "root" $ "component" "api"). */}}
{{- define "mbt.componentLabels" -}}
{{ include "mbt.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Immutable once a Deployment exists: never add a value that can change. */}}
{{- define "mbt.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Pod labels: no chart version, so publishing a new chart version alone restarts nothing; the
image tag is the version that matters for a pod.
Call with (dict "root" $ "component" "api" "image" $img "slot" "blue").
*/}}
{{- define "mbt.podLabels" -}}
{{ include "mbt.slotSelectorLabels" . }}
app.kubernetes.io/version: {{ .image.tag | quote }}
app.kubernetes.io/part-of: mechanicbuddy
tenant-provisioner.io/tenant-id: {{ .root.Values.tenant.id }}
tenant-provisioner.io/tier: {{ .root.Values.tenant.tier }}
{{- end -}}

{{/*
Blue-green slots. A Deployment's selector and its pods carry the slot besides the component, so
two slots of one component can run side by side; Services select the active slot, while
NetworkPolicies and PodDisruptionBudgets select by component and so cover both slots.
Call with (dict "root" $ "component" "api" "slot" "blue").
*/}}
{{- define "mbt.slotSelectorLabels" -}}
{{ include "mbt.selectorLabels" . }}
tenant-provisioner.io/slot: {{ .slot }}
{{- end -}}

{{/*
The slots that run, as a JSON list of {slot, images, replicas}: the active slot with the chart's
images and replicas, and during a switch window the other slot with inactiveSlot's.
*/}}
{{- define "mbt.slots" -}}
{{- $replicas := dict "api" .Values.api.replicas "web" .Values.web.replicas -}}
{{- $slots := list (dict "slot" .Values.activeSlot "images" .Values.images "replicas" $replicas) -}}
{{- with .Values.inactiveSlot -}}
{{- $other := ternary "green" "blue" (eq $.Values.activeSlot "blue") -}}
{{- $slots = append $slots (dict "slot" $other "images" .images "replicas" .replicas) -}}
{{- end -}}
{{- toJson $slots -}}
{{- end -}}

{{- define "mbt.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}

{{/* https:// URL of the tenant's own host (always served, whatever the custom domain does). */}}
{{- define "mbt.publicURL" -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- end -}}

{{/* The restricted Pod Security Standard, for every container the chart defines. */}}
{{- define "mbt.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ . }}
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "mbt.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroup: {{ .Values.podSecurity.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Replicas honour hibernation: volumes stay, pods go. */}}
{{- define "mbt.replicas" -}}
{{- if or .root.Values.hibernated (include "mbt.closed" .root) -}}0{{- else -}}{{ .replicas }}{{- end -}}
{{- end -}}

{{/*
One Barman Cloud ObjectStore: (dict "root" $ "name" … "path" … "retention" …); retention absent
for a store nothing archives to. The provider's credential block reads backup.credentialsSecret.
*/}}
{{- define "mbt.objectStore" -}}
{{- $b := .root.Values.backup -}}
{{- $root := .root -}}
apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: {{ .name }}
  labels:
    {{- include "mbt.componentLabels" (dict "root" $root "component" "backup") | nindent 4 }}
spec:
  {{- with .retention }}
  retentionPolicy: {{ . | quote }}
  {{- end }}
  configuration:
    destinationPath: {{ .path | quote }}
    {{- with $b.endpointURL }}
    endpointURL: {{ . | quote }}
    {{- end }}
    {{- if $b.endpointCA }}
    endpointCA:
      {{- include "mbt.backupSecretRef" (dict "root" $root "key" "ENDPOINT_CA") | nindent 6 }}
    {{- end }}
    {{- if eq $b.provider "s3" }}
    s3Credentials:
      accessKeyId:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "ACCESS_KEY_ID") | nindent 8 }}
      secretAccessKey:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "ACCESS_SECRET_KEY") | nindent 8 }}
      {{- if $b.s3.region }}
      region:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "ACCESS_REGION") | nindent 8 }}
      {{- end }}
    {{- else if eq $b.provider "gcs" }}
    googleCredentials:
      {{- if $b.gcs.gkeEnvironment }}
      # The instance pods' workload identity: the Cluster's ServiceAccount must be granted the bucket.
      gkeEnvironment: true
      {{- else }}
      applicationCredentials:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "APPLICATION_CREDENTIALS") | nindent 8 }}
      {{- end }}
    {{- else }}
    azureCredentials:
      {{- if eq $b.azure.credentials "connectionString" }}
      connectionString:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "AZURE_CONNECTION_STRING") | nindent 8 }}
      {{- else }}
      storageAccount:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "AZURE_STORAGE_ACCOUNT") | nindent 8 }}
      {{- if eq $b.azure.credentials "storageKey" }}
      storageKey:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "AZURE_STORAGE_KEY") | nindent 8 }}
      {{- else }}
      storageSasToken:
        {{- include "mbt.backupSecretRef" (dict "root" $root "key" "AZURE_STORAGE_SAS_TOKEN") | nindent 8 }}
      {{- end }}
      {{- end }}
    {{- end }}
    wal:
      compression: gzip
    data:
      compression: gzip
  # The plugin's sidecar in each instance pod (and the recovery job's): sized here (and counted in
  # the quota by the service) rather than left to the LimitRange's defaults.
  instanceSidecarConfiguration:
    resources:
      {{- toYaml $b.sidecarResources | nindent 6 }}
{{- end -}}

{{/*
"true" for a closed account (values.closed.enabled), else empty: its API and Web run no pod.
*/}}
{{- define "mbt.closed" -}}
{{- if and .Values.closed .Values.closed.enabled -}}true{{- end -}}
{{- end -}}
