import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core (no browser download): `.ci/run` installs it with
 * apt. `CHROMIUM_PATH` points at another build.
 */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const found = CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!found) {
    throw new Error(
      'no chromium found: install it (`apt-get install -y chromium`) or set CHROMIUM_PATH to its binary',
    );
  }
  return found;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    // As root (CI containers) chromium needs --no-sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Where browser tests leave their screenshots (git-ignored). */
export const ARTIFACTS_DIR = path.resolve(__dirname, '../artifacts');

/** Numbered full-page screenshots of one test's steps, under test/artifacts/<name>/. */
export function screenshotter(name: string): (page: Page, step: string) => Promise<string> {
  const dir = path.join(ARTIFACTS_DIR, name);
  let n = 0;
  return async (page, step) => {
    await mkdir(dir, { recursive: true });
    n += 1;
    const file = path.join(dir, `${String(n).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}
