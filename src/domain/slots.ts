import { z } from '@hono/zod-openapi';
import { ImageRef } from './image.ts';

/** A blue-green slot of the API and Web: the chart runs one Deployment of each per slot. */
export const Slot = z.enum(['blue', 'green']);
export type Slot = z.infer<typeof Slot>;

/** The slot a new tenant starts on, and the one a tenant deployed before slots runs after its next deploy. */
export const FIRST_SLOT: Slot = 'blue';

export const otherSlot = (slot: Slot): Slot => (slot === 'blue' ? 'green' : 'blue');

/** The images of one release of the application: what a slot runs (the migrations run as the API's init container). */
export const StackImages = z.strictObject({ api: ImageRef, web: ImageRef, migrations: ImageRef });
export type StackImages = z.infer<typeof StackImages>;

/** The stack images of a larger set (the platform's also names PostgreSQL's), copied. */
export function stackImagesOf(images: StackImages): StackImages {
  return { api: { ...images.api }, web: { ...images.web }, migrations: { ...images.migrations } };
}

export function sameImages(a: StackImages, b: StackImages): boolean {
  return (['api', 'web', 'migrations'] as const).every((c) => a[c].repository === b[c].repository && a[c].tag === b[c].tag);
}

/** The configured repositories at one tag: an app version, as an update or a rollout names it. */
export function imagesAtVersion(images: StackImages, tag: string): StackImages {
  return {
    api: { repository: images.api.repository, tag },
    web: { repository: images.web.repository, tag },
    migrations: { repository: images.migrations.repository, tag },
  };
}

/** The label by which a Deployment's pods and the Services' selectors name their slot (the tenant chart's). */
export const SLOT_LABEL = 'tenant-provisioner.io/slot';
