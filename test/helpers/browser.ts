import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's chromium, headless, as root, with the background services off: this machine's closed
 * network refuses their connections and they would slow every launch.
 */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
