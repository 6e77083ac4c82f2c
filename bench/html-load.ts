/**
 * How long Debian's Chromium takes to load and draw an HTML report, and to redraw after picking
 * each connection: `node dist/bench/html-load.js report.html`. Prints one line per measurement.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const file = resolve(process.argv[2] ?? 'report.html');
const { chromium } = await import('playwright-core');
const profile = mkdtempSync(join(tmpdir(), 'ackscope-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const t0 = Date.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.locator('#ladder svg').waitFor();
  // Wait for a frame to be painted after the drawing.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const shown = Date.now() - t0;
  const nodes = await page.evaluate(() => document.getElementsByTagName('*').length);
  console.log(`${file}: ${(statSync(file).size / 1e6).toFixed(2)} MB, shown in ${shown} ms, ${nodes} elements`);
  const n = await page.locator('#picker option').count();
  let worst = 0;
  let worstLabel = '';
  for (let i = 0; i < n; i++) {
    const t = Date.now();
    await page.locator('#picker').selectOption(String(i));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const ms = Date.now() - t;
    if (ms > worst) {
      worst = ms;
      worstLabel = (await page.locator('#picker option').nth(i).textContent()) ?? '';
    }
  }
  const elements = await page.evaluate(() => document.getElementsByTagName('*').length);
  console.log(`picking each of ${n} connections: slowest ${worst} ms (${worstLabel}); ${elements} elements after the last`);
  if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
