// The report as one self-contained HTML page: inline CSS and SVG, no script or font or image
// from anywhere, so it opens from a file on any machine, offline, years later. The charts are
// drawn here as SVG: latency of each request and the success rate per second over time, with
// fault windows shaded and steps and cluster events marked; tables give the figures.

import type { ExperimentReport } from './report.js';
import { ms, offset, pct } from './report-text.js';
import type { MeasuredSample } from './stats.js';

const W = 960;
const PAD_L = 56;
const PAD_R = 16;
const LAT_H = 260;
const OK_H = 140;
const EV_H = 52;
/** Above this many samples the points carry no tooltip, to keep the page light. */
const TOOLTIP_LIMIT = 5000;

/**
 * Text made safe for HTML. "://" is written with character references too: an address quoted in
 * an event message (a failed probe's URL) stays text, and the file holds no URL at all, which
 * makes "nothing is fetched from anywhere" checkable with a grep.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!).replace(/:\/\//g, ':&#47;&#47;');
}

/** A round number at or above v for an axis top: 1, 2, 5 times a power of ten. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function f1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

interface Axis {
  x(seconds: number): number;
  durationS: number;
}

function timeAxis(durationS: number): Axis {
  const span = Math.max(durationS, 0.001);
  return { durationS, x: (s: number) => PAD_L + (Math.min(Math.max(s, 0), span) / span) * (W - PAD_L - PAD_R) };
}

function xTicks(a: Axis, y0: number, y1: number): string {
  const step = niceCeil(a.durationS / 10);
  const out: string[] = [];
  for (let s = 0; s <= a.durationS + 1e-9; s += step) {
    const x = f1(a.x(s));
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${y0}" y2="${y1}"/><text class="tick" x="${x}" y="${y1 + 14}" text-anchor="middle">${s}s</text>`);
  }
  return out.join('');
}

/** Shaded fault windows and the step and event markers, shared by both charts. */
function overlays(r: ExperimentReport, a: Axis, top: number, bottom: number): string {
  const parts: string[] = [];
  for (const f of r.faults) {
    const x0 = a.x(f.injectedAtSeconds);
    const x1 = a.x(f.healedAtSeconds ?? a.durationS);
    parts.push(
      `<rect class="fault" x="${f1(x0)}" y="${top}" width="${f1(Math.max(x1 - x0, 2))}" height="${bottom - top}"><title>${escapeHtml(`${f.name}: ${f.kind}/${f.action} ${offset(f.injectedAtSeconds)} .. ${f.healedAtSeconds === null ? 'end' : offset(f.healedAtSeconds)}`)}</title></rect>`,
    );
  }
  for (const s of r.steps) {
    const x = f1(a.x(s.atSeconds));
    parts.push(
      `<line class="step" x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"><title>${escapeHtml(`${offset(s.atSeconds)} ${s.description}${s.error ? ` FAILED: ${s.error}` : ''}`)}</title></line>`,
    );
  }
  return parts.join('');
}

function latencyChart(r: ExperimentReport, samples: readonly MeasuredSample[], a: Axis): string {
  const top = 4;
  const failBand = 14;
  const bottom = LAT_H - 24;
  const plotTop = top + failBand + 14;
  const okMax = samples.reduce((m, s) => (s.ok ? Math.max(m, s.latencyMs) : m), 1);
  const yMax = niceCeil(okMax * 1.05);
  const y = (v: number) => bottom - (Math.min(v, yMax) / yMax) * (bottom - plotTop);
  const titles = samples.length <= TOOLTIP_LIMIT;
  const pts: string[] = [];
  for (const s of samples) {
    const sec = s.t / 1000;
    if (sec < 0 || sec >= a.durationS) continue;
    const x = f1(a.x(sec));
    const tip = titles
      ? `<title>${escapeHtml(`${offset(sec)} ${s.ok ? `${s.status ?? 'ok'} ${s.latencyMs}ms` : `FAILED ${s.error ?? ''} after ${s.latencyMs}ms`}${s.pod ? ` ${s.pod}` : ''}`)}</title>`
      : '';
    if (s.ok) pts.push(`<circle class="ok" cx="${x}" cy="${f1(y(s.latencyMs))}" r="2">${tip}</circle>`);
    else pts.push(`<rect class="bad" x="${f1(Number(x) - 1.5)}" y="${top + 2}" width="3" height="${failBand - 4}">${tip}</rect>`);
  }
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((k) => {
      const v = yMax * k;
      const yy = f1(y(v));
      return `<line class="grid" x1="${PAD_L}" x2="${W - PAD_R}" y1="${yy}" y2="${yy}"/><text class="tick" x="${PAD_L - 6}" y="${Number(yy) + 4}" text-anchor="end">${+v.toFixed(1)}ms</text>`;
    })
    .join('');
  return [
    `<svg class="chart" id="latency-chart" viewBox="0 0 ${W} ${LAT_H}" width="100%" role="img" aria-label="latency of each request over time">`,
    overlays(r, a, top, bottom),
    yTicks,
    xTicks(a, top, bottom),
    `<text class="tick" x="${PAD_L - 6}" y="${top + failBand - 3}" text-anchor="end">failed</text>`,
    pts.join(''),
    `</svg>`,
  ].join('');
}

/** Success rate per one-second bucket of send time, as a polyline; empty buckets are gaps. */
export function successBuckets(samples: readonly MeasuredSample[], durationS: number): { second: number; requests: number; ok: number }[] {
  const n = Math.max(1, Math.ceil(durationS));
  const buckets = Array.from({ length: n }, (_, i) => ({ second: i, requests: 0, ok: 0 }));
  for (const s of samples) {
    const i = Math.floor(s.t / 1000);
    if (i < 0 || i >= n || s.t / 1000 >= durationS) continue;
    buckets[i]!.requests++;
    if (s.ok) buckets[i]!.ok++;
  }
  return buckets;
}

function successChart(r: ExperimentReport, samples: readonly MeasuredSample[], a: Axis): string {
  const top = 10;
  const bottom = OK_H - 24;
  const y = (frac: number) => bottom - frac * (bottom - top);
  const segments: string[][] = [[]];
  for (const b of successBuckets(samples, a.durationS)) {
    if (b.requests === 0) {
      if (segments[segments.length - 1]!.length > 0) segments.push([]);
      continue;
    }
    const frac = b.ok / b.requests;
    const x0 = a.x(b.second);
    const x1 = a.x(Math.min(b.second + 1, a.durationS));
    segments[segments.length - 1]!.push(`${f1(x0)},${f1(y(frac))}`, `${f1(x1)},${f1(y(frac))}`);
  }
  const lines = segments.filter((s) => s.length > 0).map((s) => `<polyline class="rate" points="${s.join(' ')}"/>`);
  const yTicks = [0, 0.5, 1].map(
    (k) =>
      `<line class="grid" x1="${PAD_L}" x2="${W - PAD_R}" y1="${f1(y(k))}" y2="${f1(y(k))}"/><text class="tick" x="${PAD_L - 6}" y="${f1(y(k) + 4)}" text-anchor="end">${k * 100}%</text>`,
  );
  return [
    `<svg class="chart" id="success-chart" viewBox="0 0 ${W} ${OK_H}" width="100%" role="img" aria-label="share of successful requests per second">`,
    overlays(r, a, top, bottom),
    yTicks.join(''),
    xTicks(a, top, bottom),
    lines.join(''),
    `</svg>`,
  ].join('');
}

/** Above this many events in the window, the strip marks them without labels. */
const EVENT_LABEL_LIMIT = 40;

function eventStrip(r: ExperimentReport, a: Axis): string {
  const inWindow = r.events.filter((e) => e.atSeconds >= 0 && e.atSeconds <= a.durationS);
  const labelled = inWindow.length <= EVENT_LABEL_LIMIT;
  const marks = inWindow.map((e, i) => {
    const x = f1(a.x(e.atSeconds));
    const cls = /^Chaos/.test(e.reason)
      ? 'ev chaos'
      : e.type === 'Warning' || /NotReady|Unknown|False|Kill|Evict|Fail|Deleted/i.test(e.reason)
        ? 'ev warn'
        : 'ev';
    const tip = `<title>${escapeHtml(`${offset(e.atSeconds)} ${e.object} ${e.reason}: ${e.message}`)}</title>`;
    // Labels take turns on three rows so that neighbours overlap less.
    const row = 14 + (i % 3) * 13;
    const label = labelled
      ? `<text class="evl" x="${Number(x) + 3}" y="${row}">${escapeHtml(`${e.object.replace(/^[A-Za-z]+\//, '')} ${e.reason}`.slice(0, 40))}</text>`
      : '';
    return `<g><line class="${cls}" x1="${x}" x2="${x}" y1="4" y2="${EV_H - 4}"/>${label}${tip}</g>`;
  });
  return `<svg class="chart" id="event-strip" viewBox="0 0 ${W} ${EV_H}" width="100%" role="img" aria-label="cluster events"><text class="tick" x="${PAD_L - 6}" y="${EV_H / 2 + 4}" text-anchor="end">events</text><line class="grid" x1="${PAD_L}" x2="${W - PAD_R}" y1="${EV_H / 2}" y2="${EV_H / 2}"/>${marks.join('')}</svg>`;
}

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}.sub{color:#666}
.figs{display:flex;gap:24px;flex-wrap:wrap;margin:16px 0}.fig{border:1px solid #ddd;border-radius:6px;padding:8px 14px}
.fig b{display:block;font-size:22px}.chart{display:block;margin:4px 0}.grid{stroke:#eee}.tick{font-size:11px;fill:#777}
.ok{fill:#2b7bb9;opacity:.7}.bad{fill:#d33}.rate{fill:none;stroke:#2a9d4b;stroke-width:2}
.fault{fill:#f4a261;opacity:.22}.step{stroke:#e76f51;stroke-width:1.5;stroke-dasharray:4 3}
.ev{stroke:#888;stroke-width:1.5}.ev.warn{stroke:#d33}.ev.chaos{stroke:#e76f51}.evl{font-size:10px;fill:#555}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #eee;padding:3px 10px 3px 0;text-align:left;vertical-align:top}
.legend span{margin-right:16px;font-size:12px;color:#555}.warning{margin:8px 0;padding:8px 12px;background:#fff4e5;border-left:4px solid #f4a261}.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}`;

export function renderHtml(r: ExperimentReport, samples: readonly MeasuredSample[], warnings: readonly string[] = []): string {
  const a = timeAxis(r.durationSeconds);
  const timeline = [
    ...r.steps.map((s) => ({ at: s.atSeconds, who: 'timeline', what: `${s.description}${s.error ? ` FAILED: ${s.error}` : ''}` })),
    ...r.events.map((e) => ({ at: e.atSeconds, who: e.object, what: `${e.reason}${e.count && e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}` })),
  ].sort((x, y) => x.at - y.at);
  // The data behind the page, for anyone who wants to redraw it; every "<" is escaped, so no text
  // in it (an event message, a description) can end the element or open a tag, and "//" as in escapeHtml.
  const data = JSON.stringify(r).replace(/</g, '\\u003c').replace(/:\/\//g, ':\\/\\/');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(`kip experiment ${r.name}`)}</title><style>${STYLE}</style></head><body>
<h1>Experiment ${escapeHtml(r.name)}${r.interrupted ? ' (interrupted)' : ''}</h1>
<div class="sub">${escapeHtml(r.description ?? '')} started ${escapeHtml(r.startTime)}, ${r.durationSeconds}s measured</div>
${warnings.map((w) => `<div class="warning">warning: ${escapeHtml(w)}</div>`).join('\n')}
<div class="figs">
<div class="fig">availability<b id="availability">${pct(r.requests.total > 0 ? r.availability : null)}</b>${r.requests.ok} of ${r.requests.total} ok</div>
<div class="fig">longest outage<b id="longest-outage">${r.longestOutageSeconds.toFixed(3)}s</b>${r.outages.length} outage(s)</div>
<div class="fig">latency p50 / p99<b>${ms(r.latency.p50Ms)} / ${ms(r.latency.p99Ms)}</b>successful requests</div>
</div>
<h2>Latency of each request, and failures</h2>
<div class="legend"><span><i class="sw" style="background:#2b7bb9"></i>successful request (latency)</span><span><i class="sw" style="background:#d33"></i>failed request</span><span><i class="sw" style="background:#f4a261;opacity:.5"></i>fault active</span><span><i class="sw" style="background:#e76f51"></i>timeline step</span></div>
${latencyChart(r, samples, a)}
<h2>Successful requests per second</h2>
${successChart(r, samples, a)}
${eventStrip(r, a)}
<h2>Phases</h2>
${htmlTable(
  ['phase', 'from', 'to', 'requests', 'failed', 'availability', 'p50', 'p99', 'max'],
  r.phases.map((p) => [
    p.name,
    offset(p.startSeconds),
    offset(p.endSeconds),
    String(p.requests),
    String(p.failed),
    pct(p.availability),
    ms(p.p50Ms),
    ms(p.p99Ms),
    ms(p.maxMs),
  ]),
)}
<h2>Faults</h2>
${htmlTable(
  ['fault', 'action', 'injected', 'healed', 'failures', 'time to recover'],
  r.faults.map((f) => [
    f.name,
    `${f.kind}/${f.action}`,
    offset(f.injectedAtSeconds),
    f.healedAtSeconds === null ? '-' : offset(f.healedAtSeconds),
    String(f.failures),
    !f.recovered ? 'not recovered' : `${(f.timeToRecoverSeconds ?? 0).toFixed(3)}s`,
  ]),
)}
<h2>Timeline</h2>
${htmlTable(
  ['at', 'object', 'what'],
  timeline.map((e) => [offset(e.at), e.who, e.what]),
)}
<script type="application/json" id="report-data">${data}</script>
</body></html>
`;
}
