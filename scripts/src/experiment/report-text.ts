// The report as a person reads it in the terminal at the end of a run: the headline figures,
// a table per phase and per fault, and the steps and cluster events on one time axis.

import { TabWriter } from '../kip/printers/tabwriter.js';
import type { ExperimentReport } from './report.js';

/** The terminal shows this many timeline entries; report.json and report.html have all of them. */
export const TEXT_TIMELINE_LIMIT = 60;

export function pct(fraction: number | null): string {
  return fraction === null ? '-' : `${(fraction * 100).toFixed(2)}%`;
}

export function ms(v: number | null): string {
  return v === null ? '-' : `${v}ms`;
}

export function offset(s: number): string {
  return `${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(2)}s`;
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][], indent = '  '): string {
  return new TabWriter({ minWidth: 0, padding: 2 })
    .formatRows(rows)
    .map((l) => indent + l.trimEnd())
    .join('\n');
}

export function renderText(r: ExperimentReport): string {
  const lines: string[] = [];
  lines.push(`Experiment ${r.name}${r.interrupted ? ' (INTERRUPTED: figures cover the part that ran)' : ''}`);
  if (r.description) lines.push(`  ${r.description}`);
  lines.push(`  started ${r.startTime}, ${r.durationSeconds}s measured`);
  lines.push('');
  const req = r.requests;
  const longest = r.outages.reduce<ExperimentReport['outages'][number] | undefined>((m, o) => (!m || o.durationSeconds > m.durationSeconds ? o : m), undefined);
  lines.push(
    table([
      ['availability', req.total > 0 ? `${pct(r.availability)}  (${req.ok} of ${req.total} requests ok, ${req.failed} failed)` : 'no requests were measured'],
      [
        'longest outage',
        `${r.longestOutageSeconds.toFixed(3)}s${longest ? `  (${longest.failures} failed request(s) from ${offset(longest.startSeconds)})` : ''}`,
      ],
      ['latency (ok)', `p50 ${ms(r.latency.p50Ms)}  p99 ${ms(r.latency.p99Ms)}  max ${ms(r.latency.maxMs)}`],
      ...(req.unlogged > 0 ? [['unlogged', `${req.unlogged} request(s) the client sent but never logged an outcome for (not counted)`]] : []),
    ]),
  );
  lines.push('');
  lines.push('Phases');
  lines.push(
    table([
      ['PHASE', 'FROM', 'TO', 'REQUESTS', 'FAILED', 'AVAILABILITY', 'P50', 'P99', 'MAX'],
      ...r.phases.map((p) => [
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
    ]),
  );
  if (r.faults.length > 0) {
    lines.push('');
    lines.push('Faults');
    lines.push(
      table([
        ['FAULT', 'ACTION', 'INJECTED', 'HEALED', 'FAILURES', 'TIME TO RECOVER'],
        ...r.faults.map((f) => [
          f.name,
          `${f.kind}/${f.action}`,
          offset(f.injectedAtSeconds),
          f.healedAtSeconds === null
            ? '-'
            : `${offset(f.healedAtSeconds)}${f.healedBy === 'duration' ? ' (own duration)' : f.healedBy === 'recovered' ? ' (recovered)' : ''}`,
          String(f.failures),
          !f.recovered ? 'not recovered' : f.failures === 0 ? '0s (no failures)' : `${f.timeToRecoverSeconds!.toFixed(3)}s`,
        ]),
      ]),
    );
  }
  const failedSteps = r.steps.filter((s) => s.error);
  for (const s of failedSteps) lines.push(`  step at ${offset(s.atSeconds)} failed: ${s.description}: ${s.error}`);
  const entries = [
    ...r.steps.map((s) => ({ at: s.atSeconds, who: 'timeline', what: `${s.description}${s.error ? ` FAILED: ${s.error}` : ''}` })),
    ...r.events.map((e) => ({ at: e.atSeconds, who: e.object, what: `${e.reason}${e.count && e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}` })),
  ].sort((a, b) => a.at - b.at);
  if (entries.length > 0) {
    lines.push('');
    lines.push('Timeline (seconds from the start; negative: setup and warmup)');
    // Too many to show: setup entries (before the start) go first, then the latest ones.
    const setup = entries.filter((e) => e.at < 0).length;
    const skipped = Math.min(setup, Math.max(0, entries.length - TEXT_TIMELINE_LIMIT));
    const shown = entries.slice(skipped, skipped + TEXT_TIMELINE_LIMIT);
    if (skipped > 0) lines.push(`  ... ${skipped} earlier setup entries in report.json`);
    lines.push(table(shown.map((e) => [offset(e.at), e.who, e.what])));
    const after = entries.length - skipped - shown.length;
    if (after > 0) lines.push(`  ... and ${after} more in report.json`);
  }
  return lines.join('\n') + '\n';
}
