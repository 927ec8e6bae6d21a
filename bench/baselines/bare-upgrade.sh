#!/bin/sh
# The baseline for one tenant of a rollout, as a person would write it without the service:
# `helm upgrade` with the values file for the new app version (the flags of src/helm/helm-client.ts,
# no --wait), then `kubectl rollout status` until both Deployments run the new pods. An in-place
# rolling update: no second slot, no switch, no window to roll back in.
#
# usage: bare-upgrade.sh <tenantId> <namespace> <release> <chart> <values.yaml>
# needs helm and kubectl on PATH and KUBECONFIG set.
set -eu
id=$1 ns=$2 release=$3 chart=$4 values=$5

helm upgrade "$release" "$chart" --namespace "$ns" --values "$values" --history-max 10 --force-conflicts --output json >/dev/null
kubectl rollout status --namespace "$ns" --timeout=300s "deployment/$id-api-blue" >/dev/null &
api=$!
kubectl rollout status --namespace "$ns" --timeout=300s "deployment/$id-web-blue" >/dev/null &
web=$!
wait "$api"
wait "$web"
