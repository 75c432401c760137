// Real Chromium (Debian's) through playwright-core, with the flags this machine needs.
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumAvailable = () => existsSync(CHROMIUM_PATH);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * Waits until the form's proof-of-work CAPTCHA is solved (the page solves it on load). No deadline of its own:
 * on a loaded machine the solver takes its time, and the form's own wait (30 s, what a person would accept)
 * is not what a test should race; the test's timeout bounds it.
 */
export async function captchaSolved(page: Page, form: string): Promise<void> {
  await page.waitForFunction(
    (selector) => {
      const element = document.querySelector(selector);
      return element instanceof HTMLFormElement && Boolean(new FormData(element).get('captcha'));
    },
    form,
    { timeout: 0 },
  );
}
