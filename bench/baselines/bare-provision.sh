#!/bin/sh
# The baseline a person would write without the service: create the namespace and the Secrets the
# chart references (one kubectl apply), `helm upgrade --install` with the very values file the
# service would use and the flags of src/helm/helm-client.ts (--history-max 10 --force-conflicts,
# no --wait), then `kubectl wait` for the same readiness the worker watches for: the CloudNativePG
# Cluster healthy and both Deployments Available (in parallel).
#
# usage: bare-provision.sh <tenantId> <namespace> <release> <chart> <inputs.yaml> <values.yaml>
# needs helm and kubectl on PATH and KUBECONFIG set.
set -eu
id=$1 ns=$2 release=$3 chart=$4 inputs=$5 values=$6

kubectl apply -f "$inputs" >/dev/null
helm upgrade --install "$release" "$chart" --namespace "$ns" --values "$values" --history-max 10 --force-conflicts --output json >/dev/null
kubectl wait --namespace "$ns" --timeout=300s "cluster.postgresql.cnpg.io/$id-postgres" \
  --for=jsonpath='{.status.phase}'='Cluster in healthy state' >/dev/null &
db=$!
kubectl wait --namespace "$ns" --timeout=300s "deployment/$id-api-blue" "deployment/$id-web-blue" --for=condition=Available >/dev/null &
apps=$!
wait "$db"
wait "$apps"
