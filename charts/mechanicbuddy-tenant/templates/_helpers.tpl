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
{{- if .root.Values.hibernated -}}0{{- else -}}{{ .replicas }}{{- end -}}
{{- end -}}
