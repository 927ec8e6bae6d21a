import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { DatabaseSpec } from './database-generation.ts';
import type { ImageRef } from './image.ts';
import { Slot, type StackImages } from './slots.ts';

/** A Helm chart version (SemVer as Helm writes it, `+` included). */
export const ChartVersion = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.+_-]*$/, 'must be a chart version such as 0.2.0')
  .openapi({ example: '0.2.0' });

/** What a tenant runs, said the way the fleet is counted: its chart version and its app version. */
export const TenantVersion = z
  .strictObject({
    chart: ChartVersion,
    app: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.,=-]*$/, 'must be an app version (an image tag, or api=…,web=… when the images differ)')
      .openapi({ example: 'f44547f' }),
  })
  .openapi('TenantVersion');
export type TenantVersion = z.infer<typeof TenantVersion>;

/** A version nobody recorded: a tenant deployed before versions were recorded, until its next deploy. */
export const UNKNOWN = 'unknown';
export const UNKNOWN_VERSION: TenantVersion = { chart: UNKNOWN, app: UNKNOWN };

/**
 * What the worker deployed, recorded when a deploy or upgrade step succeeds: the chart Helm reports
 * it installed, the images of the values it was given (digests are part of an image reference when
 * the values carry one) and the SHA-256 of those values, so two tenants on one version with
 * different rendered values tell apart.
 */
export const RunningVersion = z
  .strictObject({
    chart: z.strictObject({ name: z.string(), version: z.string() }),
    app: z.string(),
    images: z.record(z.string(), z.string()).openapi({ example: { api: 'ghcr.io/mechanicbuddy/api:f44547f' } }),
    valuesHash: z.string().openapi({ example: 'sha256:3b0c…' }),
    revision: z.int().min(1),
    /** The slot the Services select; absent in records written before blue-green (blue). */
    slot: Slot.optional(),
    /**
     * The fingerprint of the desired state the deploy applied, so the reconciler can tell a tenant
     * running a state that is no longer asked for (a job read an intent that was then taken back).
     * Absent in records written before it was kept: such a tenant is not judged on it.
     */
    desiredHash: z.string().optional().openapi({ example: '9f2c…' }),
    /** The database the application was deployed against; absent in records from before restores (the first). */
    database: DatabaseSpec.optional(),
    at: z.iso.datetime(),
  })
  .openapi('RunningVersion');
export type RunningVersion = z.infer<typeof RunningVersion>;

/** Rollouts skip a pinned tenant; who pinned it, when and why travel with the pin. */
export const VersionPin = z
  .strictObject({
    version: TenantVersion,
    reason: z.string().min(1).max(500),
    pinnedBy: z.string(),
    pinnedAt: z.iso.datetime(),
  })
  .openapi('VersionPin');
export type VersionPin = z.infer<typeof VersionPin>;

/** The body of `PUT /api/provisioning/{tenantId}/pin`. */
export const PinRequest = z
  .strictObject({ version: TenantVersion, reason: z.string().trim().min(1).max(500).openapi({ example: 'Customer certifying this release' }) })
  .openapi('PinRequest');
export type PinRequest = z.infer<typeof PinRequest>;

/**
 * The app version of a set of stack images: their tag when API, Web and migrations agree (the
 * usual release), else each one's, so a half-changed set never reads as either version.
 */
export function appVersionOf(images: StackImages): string {
  const tags = { api: images.api.tag, web: images.web.tag, migrations: images.migrations.tag };
  const distinct = new Set(Object.values(tags));
  return distinct.size === 1
    ? tags.api
    : Object.entries(tags)
        .map(([name, tag]) => `${name}=${tag}`)
        .join(',');
}

export const imageReference = (image: ImageRef) => `${image.repository}:${image.tag}`;

export const valuesHash = (valuesYaml: string) => `sha256:${createHash('sha256').update(valuesYaml).digest('hex')}`;

/** The version a running record stands for; unknown when there is none. */
export function versionOf(running: Pick<RunningVersion, 'chart' | 'app'> | null | undefined): TenantVersion {
  return running ? { chart: running.chart.version, app: running.app } : UNKNOWN_VERSION;
}

/**
 * The version a tenant should run: its pin, else the configured target. A target chart of null
 * (a chart whose version the service cannot know, an oci:// reference without a version) is not compared.
 */
export type FleetTarget = { chart: string | null; app: string };

export function targetOf(target: FleetTarget, pin: Pick<VersionPin, 'version'> | null | undefined): FleetTarget {
  return pin ? pin.version : target;
}

/**
 * The version a tenant is recorded to run: its pin; else the release its desired state names (an
 * update or a rollout wrote its images and chart version there, and from then on the configured ones
 * no longer reach it); else the configured target.
 */
export function recordedTarget(
  configured: FleetTarget,
  tenant: {
    pin?: Pick<VersionPin, 'version'> | null | undefined;
    desired?: { images?: StackImages | undefined; chartVersion?: string | undefined } | undefined;
  },
): FleetTarget {
  if (tenant.pin) return tenant.pin.version;
  const desired = tenant.desired;
  return { chart: desired?.chartVersion ?? configured.chart, app: desired?.images ? appVersionOf(desired.images) : configured.app };
}

export function onTarget(version: TenantVersion, target: FleetTarget): boolean {
  return version.app === target.app && (target.chart === null || version.chart === target.chart);
}
