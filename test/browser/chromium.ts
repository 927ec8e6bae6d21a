import { chromium, type Browser } from 'playwright-core';
import { SYSTEM_PACKAGES, ensureSystemPackages, nodeHost } from '../../scripts/system-packages.ts';

/** How long the browser suite may spend installing Debian's Chromium (apt-get update and ~100 MB). */
export const CHROMIUM_INSTALL_MS = 600_000;

/**
 * Debian's Chromium, installed first when it is missing and this machine allows it (root or
 * passwordless sudo, apt-get); otherwise the suite fails with one line saying how to get it.
 */
export async function launchChromium(): Promise<Browser> {
  await ensureSystemPackages([SYSTEM_PACKAGES.chromium], 'browser suite', nodeHost(process.env));
  return chromium.launch({
    executablePath: SYSTEM_PACKAGES.chromium.provides,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
