{{/*
Names. Every object is named after the release ("fullname"), so two installations (a test run
beside a real one) never share a cluster-scoped name.
*/}}
{{- define "tp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains (include "tp.name" .) .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "tp.name" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tp.serviceAccountName" -}}
{{- default (include "tp.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The username the API server gives the ServiceAccount's tokens (admission policies match it). */}}
{{- define "tp.serviceAccountUser" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "tp.serviceAccountName" .) -}}
{{- end -}}

{{/* The ClusterRole the service binds into each tenant namespace (never bound by this chart). */}}
{{- define "tp.tenantRole" -}}
{{- printf "%s-tenant" (include "tp.fullname" .) -}}
{{- end -}}

{{- define "tp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "tp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "tp.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Call with (dict "root" $ "component" "api"). Immutable once a workload exists. */}}
{{- define "tp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tp.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tp.componentLabels" -}}
{{ include "tp.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tp.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "tp.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "tp.imageTag" .) -}}
{{- end -}}

{{/* The restricted Pod Security Standard, for every pod and container of the chart. */}}
{{- define "tp.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "tp.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The override configuration file (CONFIG_FILE): .Values.config, with the fields this chart must
own because its RBAC and Services depend on them (listener, tenant namespace prefix, the
namespace of custom-domain claims, backup credentials Secret) set from the chart's values, so the two can never disagree.
*/}}
{{- define "tp.config" -}}
{{- $config := deepCopy (.Values.config | default dict) -}}
{{- $server := mustMergeOverwrite (deepCopy (dig "server" dict $config)) (dict "host" "0.0.0.0" "port" (int .Values.api.port)) -}}
{{- if .Values.api.closedPage.enabled }}{{ $_ := set $server "closedPagePort" (int .Values.api.closedPage.port) }}{{ end -}}
{{- $_ := set $config "server" $server -}}
{{- $platform := deepCopy (dig "platform" dict $config) -}}
{{- if and .Values.api.closedPage.enabled (not (hasKey $platform "closedPage")) -}}
{{- $_ = set $platform "closedPage" (dict "externalName" (printf "%s-api.%s.svc.cluster.local" (include "tp.fullname" .) .Release.Namespace) "port" (int .Values.api.closedPage.port)) -}}
{{- end -}}
{{- $_ = set $platform "namespacePrefix" .Values.tenants.namespacePrefix -}}
{{- $_ = set $platform "claimsNamespace" .Release.Namespace -}}
{{- $backup := deepCopy (dig "backup" dict $platform) -}}
{{- if .Values.backupCredentials.secretName -}}
{{- $_ = set $backup "credentialsSecret" (dict "namespace" .Release.Namespace "name" .Values.backupCredentials.secretName) -}}
{{- else -}}
{{- $_ = set $backup "credentialsSecret" nil -}}
{{- end -}}
{{- $_ = set $platform "backup" $backup -}}
{{- $_ = set $config "platform" $platform -}}
{{- $tls := .Values.redis.external.sentinel.tls -}}
{{- if and .Values.redis.external.sentinel.sentinels $tls.enabled -}}
{{- $options := dict -}}
{{- if $tls.caSecret.name }}{{ $_ = set $options "caFile" (printf "/etc/tenant-provisioner-redis-ca/%s" $tls.caSecret.key) }}{{ end -}}
{{- if $tls.serverName }}{{ $_ = set $options "serverName" $tls.serverName }}{{ end -}}
{{- $redis := deepCopy (dig "redis" dict $config) -}}
{{- $_ = set $redis "tls" $options -}}
{{- if $tls.sentinelTls }}{{ $_ = set $redis "sentinelTls" $options }}{{ end -}}
{{- $_ = set $config "redis" $redis -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* Where Redis is: the in-chart one, a Secret's REDIS_URL, or the sentinels of a master group. */}}
{{- define "tp.redisEnv" -}}
{{- $sentinel := .Values.redis.external.sentinel -}}
{{- if $sentinel.sentinels }}
{{- if .Values.redis.enabled }}
{{- fail "redis.external.sentinel.sentinels applies only with redis.enabled false (the in-chart Redis has no sentinels)" }}
{{- end }}
- name: REDIS_SENTINELS
  value: {{ join "," $sentinel.sentinels | quote }}
- name: REDIS_SENTINEL_NAME
  value: {{ required "redis.external.sentinel.name (the master group the sentinels monitor) is required with sentinels" $sentinel.name | quote }}
{{- with $sentinel.passwordSecret }}{{ if .name }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}{{ end }}
{{- with $sentinel.sentinelPasswordSecret }}{{ if .name }}
- name: REDIS_SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}{{ end }}
{{- else }}
- name: REDIS_URL
{{- if .Values.redis.enabled }}
  value: {{ printf "redis://%s-redis:%d" (include "tp.fullname" .) (int .Values.redis.port) | quote }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ required "redis.external.existingSecret.name is required when redis.enabled is false" .Values.redis.external.existingSecret.name }}
      key: {{ .Values.redis.external.existingSecret.key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment shared by the API and the worker. */}}
{{- define "tp.env" -}}
- name: NODE_ENV
  value: production
- name: CONFIG_FILE
  value: /etc/tenant-provisioner/config.yaml
{{ include "tp.redisEnv" . }}
{{- if .Values.auth.existingSecret.name }}
- name: AUTH_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret.name }}
      key: {{ .Values.auth.existingSecret.key }}
{{- else if not (dig "auth" "jwksUrl" "" .Values.config) }}
{{- fail "auth.existingSecret.name (a Secret holding AUTH_JWT_SECRET) or config.auth.jwksUrl is required" }}
{{- end }}
# Helm writes its cache and config under these; the root filesystem is read-only.
- name: HELM_CACHE_HOME
  value: /var/lib/tenant-provisioner/helm/cache
- name: HELM_CONFIG_HOME
  value: /var/lib/tenant-provisioner/helm/config
- name: HELM_DATA_HOME
  value: /var/lib/tenant-provisioner/helm/data
- name: TMPDIR
  value: /tmp
# What the service binds into each tenant namespace it creates (README.md, "RBAC").
- name: TENANT_ACCESS_CLUSTER_ROLE
  value: {{ include "tp.tenantRole" . | quote }}
- name: TENANT_ACCESS_SERVICE_ACCOUNT
  value: {{ include "tp.serviceAccountName" . | quote }}
- name: TENANT_ACCESS_SERVICE_ACCOUNT_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tp.volumes" -}}
- name: config
  configMap:
    name: {{ include "tp.fullname" . }}-config
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: helm
  emptyDir:
    sizeLimit: {{ .Values.helmHomeSizeLimit }}
{{- include "tp.redisCaVolume" . }}
{{- end -}}

{{/* The Redis CA Secret, when TLS to a Sentinel group names one. */}}
{{- define "tp.redisCaVolume" -}}
{{- $sentinel := .Values.redis.external.sentinel -}}
{{- if and $sentinel.sentinels $sentinel.tls.enabled $sentinel.tls.caSecret.name }}
- name: redis-ca
  secret:
    secretName: {{ $sentinel.tls.caSecret.name }}
    items:
      - key: {{ $sentinel.tls.caSecret.key }}
        path: {{ $sentinel.tls.caSecret.key }}
{{- end }}
{{- end -}}

{{- define "tp.volumeMounts" -}}
- name: config
  mountPath: /etc/tenant-provisioner
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: helm
  mountPath: /var/lib/tenant-provisioner/helm
{{- $sentinel := .Values.redis.external.sentinel -}}
{{- if and $sentinel.sentinels $sentinel.tls.enabled $sentinel.tls.caSecret.name }}
- name: redis-ca
  mountPath: /etc/tenant-provisioner-redis-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* Scheduling shared by both Deployments. Call with (dict "root" $ "component" "api"). */}}
{{- define "tp.scheduling" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "tp.selectorLabels" . | nindent 8 }}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}
