// The soak report as a person reads it at the end of a run: the verdict on each property with
// the figure behind it, then the probe's numbers, the kills, and anything that makes the figures
// less than they seem.

import { ms, offset, pct, table } from '../experiment/report-text.js';
import type { SoakReport } from './report.js';

/** Kill records shown in the terminal; report.json has all of them. */
export const TEXT_KILLS_LIMIT = 20;

const NAMES: Record<SoakReport['properties'][number]['name'], string> = {
  availability: 'availability',
  orphans: 'orphan processes',
  objectsLost: 'objects lost',
  rssGrowth: 'control-plane RSS',
  chaosRan: 'chaos ran',
};

function verdict(held: boolean | null): string {
  return held === null ? 'NOT CHECKED' : held ? 'ok' : 'FAILED';
}

function secs(s: number): string {
  return s >= 120 ? `${(s / 60).toFixed(1)}m` : `${s.toFixed(s < 10 ? 3 : 1)}s`;
}

export function renderSoakText(r: SoakReport): string {
  const s = r.settings;
  const lines: string[] = [];
  const verdictLine = r.interrupted
    ? 'INTERRUPTED: figures cover the part that ran'
    : r.passed
      ? 'PASSED: every property held'
      : 'FAILED: a property did not hold';
  lines.push(`Soak ${verdictLine}`);
  lines.push(
    `  started ${r.startTime}; ${s.nodes} nodes, one killed every ${s.intervalMs / 1000}s for ${secs(r.durationSeconds)}${r.durationSeconds < r.plannedDurationSeconds ? ` of ${secs(r.plannedDurationSeconds)}` : ''}` +
      ` (seed ${s.seed}, minReady ${s.minReady}, ${s.restartNodes ? `killed nodes back after ${s.restartDelayMs / 1000}s` : 'killed nodes stay down'}); probe on ${s.probeNode}`,
  );
  lines.push('');
  lines.push(table([['PROPERTY', 'RESULT', 'MEASURED', 'REQUIRED'], ...r.properties.map((p) => [NAMES[p.name], verdict(p.held), p.measured, p.required])]));
  lines.push('');
  const req = r.requests;
  const longest = r.outages.reduce<SoakReport['outages'][number] | undefined>((m, o) => (!m || o.durationSeconds > m.durationSeconds ? o : m), undefined);
  const topErrors = Object.entries(r.errors)
    .slice(0, 3)
    .map(([e, n]) => `${n}x ${e}`)
    .join('; ');
  lines.push(
    table([
      ['availability', req.total > 0 ? `${pct(r.availability)}  (${req.ok} of ${req.total} requests ok, ${req.failed} failed)` : 'no requests were measured'],
      [
        'longest outage',
        `${r.longestOutageSeconds.toFixed(3)}s${longest ? `  (${longest.failures} failed request(s) from ${offset(longest.startSeconds)})` : ''}; ${r.outages.length} outage(s) in all`,
      ],
      [
        'requests sent',
        `${req.total} at ${s.probeRate}/s, timeout ${s.probeTimeoutMs}ms${req.unlogged > 0 ? `; ${req.unlogged} more sent but never logged (not counted)` : ''}`,
      ],
      ['latency (ok)', `p50 ${ms(r.latency.p50Ms)}  p99 ${ms(r.latency.p99Ms)}  max ${ms(r.latency.maxMs)}`],
      ...(topErrors ? [['errors', topErrors]] : []),
      [
        'nodes killed',
        `${r.nodesKilled} (${r.kills.injected} run(s) injected, ${r.kills.skipped} skipped, ${r.kills.failed} failed, of ${s.eligibleNodes} eligible nodes)`,
      ],
      ['agent exits', `${r.agentExits} seen by the launcher, ${r.agentRestarts} restarted`],
      [
        'chaos events',
        Object.entries(r.chaosEvents)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none',
      ],
      ['pods created', `${r.podsCreated.total} (ADDED on a pod watch; ${r.podsCreated.duringChaos} while the chaos ran)`],
      ['orphans', r.orphans.count === null ? 'not checked' : `${r.orphans.count} (of ${r.orphans.processesChecked ?? '?'} processes found in pod directories)`],
      ['objects lost', r.objectsLost.count === null ? 'not checked' : String(r.objectsLost.count)],
      [
        'control-plane RSS',
        `start ${r.controlPlaneRss.startMiB ?? '?'} MiB, end ${r.controlPlaneRss.endMiB ?? '?'} MiB (limit ${r.controlPlaneRss.limitMiB ?? '?'} MiB)`,
      ],
      ...(r.settle
        ? [['settled', r.settle.settled ? `in ${r.settle.seconds}s after the chaos stopped` : `NOT within ${r.settle.seconds}s: ${r.settle.pending ?? ''}`]]
        : []),
    ]),
  );
  for (const o of r.orphans.processes) lines.push(`  orphan pid ${o.pid} in ${o.cwd}: ${o.why}: ${o.cmdline.slice(0, 120)}`);
  for (const o of r.objectsLost.objects) lines.push(`  lost: ${o}`);
  const records = r.kills.records.filter((k) => k.result !== 'Recovered');
  if (records.length > 0) {
    lines.push('');
    lines.push('Kills (NodeChaos status.records; seconds from the start of the chaos)');
    const shown = records.slice(-TEXT_KILLS_LIMIT);
    if (shown.length < records.length) lines.push(`  ... ${records.length - shown.length} earlier in report.json`);
    // "(mode one of node-2, ..., node-20)" says nothing a reader needs here; report.json keeps it.
    const said = (m: string | undefined) => (m ?? '').replace(/ \(mode one of [^)]*\)/, '').slice(0, 100);
    lines.push(table(shown.map((k) => [offset(k.atSeconds), k.result, k.nodes.join(', ') || '-', said(k.message)])));
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}
