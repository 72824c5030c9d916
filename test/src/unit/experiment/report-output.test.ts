import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '@kip/scripts';
import { defaultOutDir, ensureWritableDir, writeReport } from '@kip/scripts';
import { computeReport } from '@kip/scripts';
import { escapeHtml, niceCeil, renderHtml, successBuckets } from '@kip/scripts';
import { renderText } from '@kip/scripts';
import { failAt, heal, inject, steady } from './fixtures.js';

const samples = failAt(steady(-500, 6000, 100), [2100, 2200, 2300]);
const report = computeReport({
  name: 'partition',
  description: 'cut <node-3> & heal',
  startTime: Date.UTC(2026, 0, 2, 3, 4, 5),
  durationMs: 6000,
  sustainMs: 1000,
  samples,
  steps: [inject('cut', 2000, { kind: 'NetworkChaos', action: 'partition' }), heal(4000, 'cut')],
  events: [
    { atMs: 2500, object: 'Node/node-3', reason: 'Ready=Unknown', message: 'Ready True -> Unknown', type: 'Warning', source: 'node' },
    {
      atMs: 3000,
      object: 'Pod/web-1',
      reason: 'Unhealthy',
      message: 'Readiness probe failed: Get "http://127.0.0.1:4000/healthz": refused',
      type: 'Warning',
      source: 'event',
    },
  ],
});

describe('experiment report: the HTML page', () => {
  const html = renderHtml(report, samples);

  it('is self-contained: nothing is loaded from anywhere', () => {
    assert.doesNotMatch(html, /https?:\/\//, 'no absolute URL at all');
    assert.doesNotMatch(html, /\bsrc\s*=/i, 'no src attributes');
    assert.doesNotMatch(html, /<link\b/i, 'no linked stylesheets');
    assert.doesNotMatch(html, /@import|url\(/i, 'no CSS imports or url()');
    assert.doesNotMatch(html, /<script(?![^>]*type="application\/json")/i, 'no executable scripts to fetch anything');
    assert.match(html, /^<!doctype html>/);
  });

  it('holds the charts: latency points, failures, success per second, fault windows, steps and events', () => {
    assert.match(html, /<svg class="chart" id="latency-chart"/);
    assert.match(html, /<svg class="chart" id="success-chart"/);
    assert.match(html, /<svg class="chart" id="event-strip"/);
    assert.equal((html.match(/<circle class="ok"/g) ?? []).length, 57, 'one point per successful request in the timeline');
    assert.equal((html.match(/<rect class="bad"/g) ?? []).length, 3, 'one mark per failed request');
    assert.equal((html.match(/<rect class="fault"/g) ?? []).length, 2, 'the fault window, shaded on both charts');
    assert.equal((html.match(/<line class="step"/g) ?? []).length, 4, 'two steps, marked on both charts');
    assert.equal((html.match(/<line class="ev( warn| chaos)?"/g) ?? []).length, 2);
    assert.match(html, /<polyline class="rate"/);
  });

  it("shows the run's warnings, escaped, above the figures", () => {
    const warned = renderHtml(report, samples, ['fault <cut> missed the probe']);
    assert.match(warned, /<div class="warning">warning: fault &lt;cut&gt; missed the probe<\/div>\n<div class="figs">/);
    assert.doesNotMatch(html, /class="warning"/, 'no box without warnings');
  });

  it('shows the figures and escapes text', () => {
    assert.match(html, /<b id="availability">95\.00%<\/b>/);
    assert.match(html, /<b id="longest-outage">0\.300s<\/b>/);
    assert.match(html, /cut &lt;node-3&gt; &amp; heal/);
    assert.doesNotMatch(html, /<node-3>/);
    assert.match(html, /during cut/);
  });

  it('carries the report data, unable to end its element early', () => {
    const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(m);
    const data = JSON.parse(m[1]!);
    assert.equal(data.availability, report.availability);
    assert.equal(data.events[1].message, 'Readiness probe failed: Get "http://127.0.0.1:4000/healthz": refused');
  });

  it('has helpers that do what they say', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.deepEqual([0.3, 1, 7, 12, 450].map(niceCeil), [0.5, 1, 10, 20, 500]);
    assert.deepEqual(successBuckets(failAt(steady(0, 2000, 500), [500]), 2), [
      { second: 0, requests: 2, ok: 1 },
      { second: 1, requests: 2, ok: 2 },
    ]);
  });
});

describe('experiment report: text and files', () => {
  it('prints the headline figures, the phases, the faults and the timeline', () => {
    const text = renderText(report);
    assert.match(text, /availability\s+95\.00% {2}\(57 of 60 requests ok, 3 failed\)/);
    assert.match(text, /longest outage\s+0\.300s {2}\(3 failed request\(s\) from \+2\.10s\)/);
    assert.match(text, /before\s+\+0\.00s\s+\+2\.00s\s+20\s+0\s+100\.00%\s+10ms\s+10ms/);
    assert.match(text, /during cut\s+\+2\.00s\s+\+4\.00s\s+20\s+3\s+85\.00%/);
    assert.match(text, /after cut\s+\+4\.00s\s+\+6\.00s\s+20\s+0\s+100\.00%/);
    assert.match(text, /cut\s+NetworkChaos\/partition\s+\+2\.00s\s+\+4\.00s\s+3\s+0\.400s/);
    assert.match(text, /\+2\.50s\s+Node\/node-3\s+Ready=Unknown: Ready True -> Unknown/);
  });

  it('keeps the timeline short in the terminal by leaving out setup entries first', () => {
    const setup = Array.from({ length: 100 }, (_, i) => ({
      atMs: -5000 + i,
      object: `Pod/p-${i}`,
      reason: 'Started',
      message: 'Started container',
      type: 'Normal' as const,
      source: 'event' as const,
    }));
    const late = { atMs: 5900, object: 'Node/node-3', reason: 'NodeReady', message: 'back', type: 'Normal' as const, source: 'event' as const };
    const text = renderText(
      computeReport({ name: 'n', startTime: 0, durationMs: 6000, sustainMs: 1000, samples: [], steps: [heal(1000)], events: [...setup, late] }),
    );
    // 102 entries, 60 shown: the 42 earliest setup entries are left out, the end is kept.
    assert.match(text, /\.\.\. 42 earlier setup entries in report\.json/);
    assert.doesNotMatch(text, /Pod\/p-41 /);
    assert.match(text, /Pod\/p-42 /);
    assert.match(text, /\+5\.90s\s+Node\/node-3\s+NodeReady: back/);
    assert.doesNotMatch(text, /more in report\.json/);
  });

  it('writes report.json, report.html and samples.jsonl, with the raw samples recountable', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kip-exp-out-'));
    try {
      const files = await writeReport(path.join(dir, 'out'), report, samples, {
        experimentFile: 'p.yaml',
        probe: { pod: 'p', node: 'node-1', url: 'http://web/', rate: 10, timeoutMs: 1000 },
        cluster: { server: 'http://127.0.0.1:1', private: true, nodes: 3 },
        faultStatus: {},
        warnings: [],
      });
      const json = JSON.parse(await readFile(files.json, 'utf8'));
      assert.equal(json.availability, 0.95);
      assert.equal(json.longestOutageSeconds, 0.3);
      assert.equal(json.samples.file, 'samples.jsonl');
      assert.equal(json.probe.url, 'http://web/');
      const lines = (await readFile(files.samples, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(lines.length, samples.length);
      const measured = lines.filter((s) => s.t >= 0 && s.t < 6000);
      assert.equal(measured.filter((s) => s.ok).length / measured.length, json.availability);
      assert.match(await readFile(files.html, 'utf8'), /id="latency-chart"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checks the output directory before a run: creates it, and refuses a path it cannot write', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kip-exp-out-'));
    try {
      await ensureWritableDir(path.join(dir, 'a', 'b'));
      assert.ok((await stat(path.join(dir, 'a', 'b'))).isDirectory());
      await writeFile(path.join(dir, 'file'), 'x');
      await assert.rejects(ensureWritableDir(path.join(dir, 'file', 'out')), /ENOTDIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('npm run experiment with an --out it cannot write stops at once, before touching any cluster', async function () {
    this.timeout(20_000);
    const dir = await mkdtemp(path.join(tmpdir(), 'kip-exp-out-'));
    try {
      await writeFile(path.join(dir, 'file'), 'x');
      const out = path.join(dir, 'file', 'results');
      // Nothing listens on port 1: reaching for the server would fail another way, later.
      const r = spawnSync(
        process.execPath,
        [
          path.join(ROOT, 'scripts/dist/experiment/main.js'),
          path.join(ROOT, 'examples/experiments/latency.yaml'),
          '--out',
          out,
          '--server',
          'http://127.0.0.1:1',
        ],
        { encoding: 'utf8', timeout: 15_000 },
      );
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--out: cannot write the report to ".*file\/results": ENOTDIR/);
      assert.doesNotMatch(r.stderr, /connection|refused/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the default output directory by experiment and local time', () => {
    assert.equal(defaultOutDir('node-failure', new Date(2026, 0, 2, 3, 4, 5), '/w'), path.join('/w', 'experiment-results', 'node-failure-20260102-030405'));
  });
});
