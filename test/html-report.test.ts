/**
 * The HTML report as a person sees it: Debian's Chromium (headless, driven by playwright-core,
 * launched once for the whole file) opens reports written by the CLI from file:// and we look at
 * what it drew: the ladder's arrows and marks, the graph's marks, the picker, zooming, and that
 * nothing went wrong (console errors, page errors, any request but the file itself).
 * Screenshots go to test-output/html/. `UPDATE_DOCS=1` also refreshes docs/ladder-vbox-broken.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { fixture, ROOT, SAMPLES } from './helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(ROOT, 'test-output', 'html');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run does)`;

type PW = typeof import('playwright-core');
type Browser = Awaited<ReturnType<PW['chromium']['launchPersistentContext']>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

/** Write the report of `capture` with the CLI; its path. */
function report(capture: string, name: string, extra: string[] = []): string {
  const file = join(OUT, `${name}.html`);
  const r = runCli(['analyze', capture, '--format', 'html', '-o', file, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'with -o nothing goes to standard output');
  return file;
}

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
  url: string;
}

describe('HTML report in Chromium', { skip }, () => {
  let browser: Browser;
  let profile: string;
  const opened: Opened[] = [];

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const { chromium } = (await import('playwright-core')) as PW;
    profile = mkdtempSync(join(tmpdir(), 'ackscope-chromium-'));
    // One browser for the whole file, with a fresh user-data-dir of its own.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Open a report from file://, recording console errors, page errors and every request. */
  async function open(file: string): Promise<Opened> {
    const page = await browser.newPage();
    const o: Opened = { page, errors: [], requests: [], url: pathToFileURL(file).href };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') o.errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => o.errors.push(`page error: ${e.message}`));
    page.on('request', (r) => o.requests.push(r.url()));
    await page.goto(o.url, { waitUntil: 'load' });
    opened.push(o);
    return o;
  }

  function clean(o: Opened): void {
    assert.deepEqual(o.errors, [], 'no console or page errors');
    assert.deepEqual(o.requests, [o.url], 'no request but the page itself');
  }

  describe('vbox-broken.pcap (the seed bug)', () => {
    let o: Opened;
    before(async () => {
      o = await open(report(join(SAMPLES, 'vbox-broken.pcap'), 'vbox-broken'));
    });

    it('draws one ladder arrow per packet: 19, client and server lanes', async () => {
      assert.equal(await o.page.locator('#ladder .arrow').count(), 19);
      assert.equal(await o.page.locator('#ladder .arrow[data-side="client"]').count(), 10);
      assert.equal(await o.page.locator('#ladder .arrow[data-side="server"]').count(), 9);
      const states = await o.page.locator('#ladder .state text').allTextContents();
      for (const s of ['FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'LAST-ACK', 'TIME-WAIT']) assert.ok(states.includes(s), `state ${s} shown`);
    });

    it('marks frame 11 as ACKed unseen with the ack_unsent finding, its packet line on hover', async () => {
      const a = o.page.locator('#ladder .arrow[data-frame="11"]');
      assert.match((await a.locator('.mark').textContent()) ?? '', /\[TCP ACKed unseen segment\]/);
      assert.equal(await a.locator('.finding[data-kind="ack_unsent"]').count(), 1);
      const tip = (await a.locator('title').textContent()) ?? '';
      assert.match(tip, /^\s*11\s+0\.203543\s+10\.0\.2\.2 → 10\.0\.2\.15.*Seq=42 Ack=76/);
      assert.match(tip, /ack_unsent: client acknowledged 1 byte the server never sent/);
      // No other arrow carries that mark.
      assert.equal(await o.page.locator('#ladder .finding[data-kind="ack_unsent"]').count(), 1);
      await a.locator('.hit').hover();
      await o.page.locator('#ladder').screenshot({ path: join(OUT, 'vbox-broken-ladder.png') });
      if (process.env.UPDATE_DOCS === '1') {
        mkdirSync(join(ROOT, 'docs'), { recursive: true });
        await o.page.locator('#ladder').screenshot({ path: join(ROOT, 'docs', 'ladder-vbox-broken.png') });
      }
    });

    it('marks the three retransmissions, the dup ACKs, the unseen ACK, FIN and RST on the graph', async () => {
      const frames = async (sel: string): Promise<string[]> =>
        o.page.locator(`#graph ${sel}`).evaluateAll((els) => els.map((e) => e.getAttribute('data-frame') ?? ''));
      assert.deepEqual(await frames('.retrans'), ['12', '14', '16']);
      assert.deepEqual(await frames('.dupack'), ['13', '15', '17']);
      assert.deepEqual(await frames('.unseen'), ['11']);
      assert.deepEqual((await frames('.fin')).sort(), ['18', '8']);
      assert.deepEqual(await frames('.rst'), ['19']);
      // A mark can be hovered (the zoom overlay lies under the marks) and names its packet.
      const re = o.page.locator('#graph .retrans[data-frame="12"]');
      await re.hover();
      assert.match((await re.locator('title').textContent()) ?? '', /^retransmission\n\s*12\s+0\.396759.*\[TCP Spurious Retransmission\].*Seq=70 Ack=42.*Len=5\n↳ real_retransmission/s);
      assert.equal(await o.page.locator('#graph .ackline').count(), 2);
      assert.equal(await o.page.locator('#graph .winline').count(), 2);
      await o.page.locator('#graph').screenshot({ path: join(OUT, 'vbox-broken-graph.png') });
    });

    it('shows the story and the tables', async () => {
      const story = await o.page.locator('#explain li').allTextContents();
      assert.ok(story.length > 0, 'at least one sentence');
      assert.ok(story.every((s) => s.trim().length > 0));
      assert.match((await o.page.locator('#conn-kv').textContent()) ?? '', /ack_unsent: 1.*real_retransmission: 3.*rst_after_fin: 1/s);
      assert.match((await o.page.locator('#flag-totals').textContent()) ?? '', /Spurious Retransmission3/);
      assert.match((await o.page.locator('#connections').textContent()) ?? '', /BROKEN: the client acknowledged 1 byte/);
      await o.page.screenshot({ path: join(OUT, 'vbox-broken-page.png'), fullPage: true });
    });

    it('zooms the graph by dragging, and the ladder follows; reset shows everything again', async () => {
      const box = (await o.page.locator('#graph-server .zoom-overlay').boundingBox())!;
      // The first tenth of the connection: the handshake to the half-close (frames 1–9 at 0–0.036 s).
      await o.page.mouse.move(box.x + 2, box.y + 20);
      await o.page.mouse.down();
      await o.page.mouse.move(box.x + box.width * 0.1, box.y + 40, { steps: 4 });
      await o.page.mouse.up();
      const t1 = Number(await o.page.locator('#t1').inputValue());
      assert.ok(t1 > 0.03 && t1 < 0.3, `zoomed to ${t1}`);
      const n = await o.page.locator('#ladder .arrow').count();
      assert.ok(n >= 9 && n < 19, `ladder shows the zoomed range: ${n} arrows`);
      assert.equal(await o.page.locator('#graph .retrans').count(), 0, 'no retransmission before 0.3 s');
      await o.page.locator('#graph').screenshot({ path: join(OUT, 'vbox-broken-graph-zoomed.png') });
      // Typed range.
      await o.page.locator('#t0').fill('0.3');
      await o.page.locator('#t1').fill('1');
      await o.page.locator('#zoom-apply').click();
      assert.deepEqual(await o.page.locator('#ladder .arrow').evaluateAll((els) => els.map((e) => e.getAttribute('data-frame'))), ['12', '13', '14', '15']);
      await o.page.locator('#zoom-reset').click();
      assert.equal(await o.page.locator('#ladder .arrow').count(), 19);
      assert.equal(await o.page.locator('#graph .retrans').count(), 3);
      clean(o);
    });
  });

  it('redraws when another connection is picked (many-connections.pcap: 38 connections)', async () => {
    const o = await open(report(fixture('many', 'many-connections.pcap'), 'many-connections'));
    const options = await o.page.locator('#picker option').count();
    assert.equal(options, 38);
    // The worst connection is shown first: a reset after a half-close.
    const first = await o.page.locator('body').getAttribute('data-stream');
    assert.equal(first, '5');
    assert.equal(await o.page.locator('#ladder .arrow').count(), 9);
    assert.equal(await o.page.locator('#ladder .finding[data-kind="rst_after_fin"]').count(), 1);
    // Pick a clean one (stream 0: 7 + 5 packets) from the picker.
    await o.page.locator('#picker').selectOption({ label: (await o.page.locator('#picker option').first().textContent())! });
    assert.equal(await o.page.locator('body').getAttribute('data-stream'), '0');
    assert.equal(await o.page.locator('#ladder .arrow').count(), 12);
    assert.equal(await o.page.locator('#ladder .finding').count(), 0);
    assert.match((await o.page.locator('#conn-head').textContent()) ?? '', /stream 0:/);
    // And a refused one from the connections table.
    await o.page.locator('#connections tr.pick', { hasText: 'REFUSED' }).first().click();
    assert.equal(await o.page.locator('#ladder .arrow').count(), 2);
    assert.equal(await o.page.locator('#graph .rst').count(), 1);
    await o.page.screenshot({ path: join(OUT, 'many-connections-refused.png'), fullPage: true });
    clean(o);
  });

  it('loads the report of every sample without an error, a ladder arrow per packet', async () => {
    const samples = readdirSync(SAMPLES).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
    assert.ok(samples.length >= 6);
    for (const f of samples) {
      const name = f.replace(/\.pcap(ng)?$/, '');
      const o = await open(report(join(SAMPLES, f), name));
      const stories = await o.page.locator('#picker option').count();
      assert.ok(stories >= 1, `${f}: at least one connection`);
      for (let i = 0; i < stories; i++) {
        await o.page.locator('#picker').selectOption(String(i));
        const packets = await o.page.evaluate(() => {
          const t = document.querySelector('#conn-kv')?.textContent ?? '';
          return [...t.matchAll(/(\d+) packets/g)].reduce((a, m) => a + Number(m[1]), 0);
        });
        const arrows = await o.page.locator('#ladder .arrow').count();
        assert.equal(arrows, Math.min(packets, 200), `${f} connection ${i}: one arrow per packet`);
        assert.equal(await o.page.locator('#graph svg.tsg').count(), 2, `${f}: both graph panels`);
      }
      await o.page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
      clean(o);
      await o.page.close();
    }
  });

  it('writes its screenshots', () => {
    for (const f of ['vbox-broken-ladder.png', 'vbox-broken-graph.png', 'vbox-broken-page.png']) {
      assert.ok(statSync(join(OUT, f)).size > 5000, `${f} written`);
    }
  });
});
