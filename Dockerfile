# syntax=docker/dockerfile:1
# One image for `api`, `worker` and `all` (the argument after the entrypoint chooses).
#   docker build -t tenant-provisioner .
#   docker run tenant-provisioner api
# Versions are pinned here and checked by test/unit/deploy/dockerfile.test.ts: Node matches the
# `node` package the project develops with, Helm matches the sandbox's pinned Helm.

ARG HELM_VERSION=v4.3.1

# --- helm: the pinned Helm 4 CLI, built from its Go module exactly as the sandbox builds it.
FROM golang:1.26.8-bookworm AS helm
ARG HELM_VERSION
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN=/out
RUN go install -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}" \
      "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}" \
 && /out/helm version --short | grep -q "^${HELM_VERSION}"

# --- deps: production dependencies only, from the lockfile.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script of a production dependency is needed at run time (msgpackr's
# native extract ships prebuilt), and it keeps the `node` toolchain package from downloading a
# second Node binary while it is still listed under dependencies.
# typescript goes after it: npm keeps it as an optional peer of valibot (via @bull-board/api) since
# it is a dev dependency too, but nothing loads it at run time (test/integration/image checks that
# the image holds exactly the production dependency closure).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver

# --- runtime
FROM node:24.21.0-bookworm-slim AS runtime
# tini as PID 1: forwards SIGTERM to Node (which drains jobs and connections) and reaps Helm's
# children. ca-certificates: Helm pulls oci:// charts over TLS with the system roots.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    HELM_BINARY=/usr/local/bin/helm \
    HELM_CACHE_HOME=/var/lib/tenant-provisioner/helm/cache \
    HELM_CONFIG_HOME=/var/lib/tenant-provisioner/helm/config \
    HELM_DATA_HOME=/var/lib/tenant-provisioner/helm/data
WORKDIR /app
COPY --from=helm /out/helm /usr/local/bin/helm
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY config ./config
COPY src ./src
# The tenant chart the worker installs (config platform.chart.path is relative to /app) and this
# service's own chart, for reference.
COPY charts ./charts
# The code stays root-owned and read-only to the service; only Helm's home is its own (the chart
# mounts emptyDirs there and on /tmp, with a read-only root filesystem).
RUN mkdir -p /var/lib/tenant-provisioner/helm \
 && chown -R 1000:1000 /var/lib/tenant-provisioner
# The node image's unprivileged `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000 3001
ENTRYPOINT ["tini", "--", "node", "src/main.ts"]
CMD ["all"]
