// Where a report goes: DIR/report.json (the figures, and what the run was), DIR/samples.jsonl
// (every probe request, one JSON object a line, for anyone who wants to recount), and
// DIR/report.html (the page with the charts).

import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChaosStatus } from '@kip/shared';
import type { ExperimentReport } from './report.js';
import { renderHtml } from './report-html.js';
import type { MeasuredSample } from './stats.js';

export const SAMPLES_FILE = 'samples.jsonl';

/** experiment-results/<name>-<yyyymmdd-hhmmss>, in local time as a person would look for it. */
export function defaultOutDir(name: string, when: Date, cwd: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${when.getFullYear()}${p(when.getMonth() + 1)}${p(when.getDate())}-${p(when.getHours())}${p(when.getMinutes())}${p(when.getSeconds())}`;
  return path.join(cwd, 'experiment-results', `${name}-${stamp}`);
}

/**
 * Makes sure the report can be written under `dir` before the run starts, so that a wrong --out
 * is said at once instead of after the whole timeline. Resolves, or rejects with the reason.
 */
export async function ensureWritableDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await access(dir, constants.W_OK);
}

export interface ReportContext {
  experimentFile: string;
  probe: { pod: string; node: string; url: string; rate: number; timeoutMs: number };
  cluster: { server: string; private: boolean; nodes?: number };
  faultStatus: Record<string, ChaosStatus>;
  warnings: string[];
}

/** report.json: the report, with where the raw samples are and what the run was. */
export function reportJson(report: ExperimentReport, ctx: ReportContext): Record<string, unknown> {
  return {
    ...report,
    samples: { ...report.samples, file: SAMPLES_FILE },
    experimentFile: ctx.experimentFile,
    probe: ctx.probe,
    cluster: ctx.cluster,
    faultStatus: ctx.faultStatus,
    warnings: ctx.warnings,
  };
}

/** One sample a line; `t` in ms from the start of the timeline (negative: warmup). */
export function samplesJsonl(samples: readonly MeasuredSample[]): string {
  return samples.map((s) => JSON.stringify(s)).join('\n') + (samples.length > 0 ? '\n' : '');
}

export async function writeReport(
  dir: string,
  report: ExperimentReport,
  samples: readonly MeasuredSample[],
  ctx: ReportContext,
): Promise<{ json: string; html: string; samples: string }> {
  await mkdir(dir, { recursive: true });
  const files = { json: path.join(dir, 'report.json'), html: path.join(dir, 'report.html'), samples: path.join(dir, SAMPLES_FILE) };
  const ordered = [...samples].sort((a, b) => a.t - b.t || (a.seq ?? 0) - (b.seq ?? 0));
  await writeFile(files.samples, samplesJsonl(ordered));
  await writeFile(files.json, JSON.stringify(reportJson(report, ctx), null, 2) + '\n');
  await writeFile(files.html, renderHtml(report, ordered, ctx.warnings));
  return files;
}
