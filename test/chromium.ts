// The browser of the Chromium tests (test/package/web.test.ts, test/package/package.test.ts): QUANTA_CHROMIUM if set, else
// Debian's chromium when installed, else the build that the npm package @sparticuz/chromium ships (a dev
// dependency; unpacked into the temp folder on first use), so that `npm install && npm test` runs these tests on
// a bare machine too, with nothing installed by apt-get.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export async function chromiumPath(): Promise<string> {
  if (process.env.QUANTA_CHROMIUM) return process.env.QUANTA_CHROMIUM;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  const shipped = (await import('@sparticuz/chromium')).default;
  return shipped.executablePath();
}

/** Headless Chromium through playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await chromiumPath();
  if (!existsSync(executablePath))
    throw new Error(`Chromium not found at ${executablePath} (QUANTA_CHROMIUM names another browser?)`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--headless',
    ],
  });
}
