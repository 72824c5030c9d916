// How the best nodes of one decision scored, kept as numbers. Every decision records its top
// nodes and almost none are ever read (only --verbose logs them): as ScoredNode objects
// that was a score record per node per plugin, built for each pod. So a decision keeps one flat
// array of numbers, and expandScored builds the ScoredNode list when a log line or a test asks.

import type { ScoredNode } from './diagnosis.js';
import type { ScoreResult } from './framework.js';
import type { NodeInfo } from './node-info.js';

export interface ScoreSummary {
  /** Node names, the chosen node first, then the others by total, best first. */
  readonly nodes: readonly string[];
  /** Score plugin names, in profile order. */
  readonly plugins: readonly string[];
  /** Per node, row by row: the total, then each plugin's normalized score (0 for one that skipped). */
  readonly values: readonly number[];
}

/**
 * The chosen node and the best others, up to limit in all. Ties keep the earlier node, so the same
 * scores give the same list.
 */
export function summarizeScores(nodes: readonly NodeInfo[], result: ScoreResult, chosen: number, limit: number): ScoreSummary | undefined {
  if (limit <= 0) return undefined;
  const totals = result.totals;
  const top: number[] = [chosen];
  // Insertion into a short sorted list: most nodes fail the first comparison with its last entry.
  for (let i = 0; i < nodes.length; i++) {
    if (i === chosen) continue;
    const t = totals[i]!;
    const full = top.length >= limit;
    if (full && (top.length === 1 || t <= totals[top[top.length - 1]!]!)) continue;
    let j = full ? top.length - 1 : top.length;
    // The chosen node stays first whatever its total.
    while (j > 1 && totals[top[j - 1]!]! < t) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
  }
  const byPlugin = result.byPlugin;
  const values: number[] = [];
  const names: string[] = [];
  for (let r = 0; r < top.length; r++) {
    const idx = top[r]!;
    names.push(nodes[idx]!.name);
    values.push(totals[idx]!);
    for (let k = 0; k < byPlugin.length; k++) {
      const scores = byPlugin[k]!.scores;
      values.push(scores ? scores[idx]! : 0);
    }
  }
  return { nodes: names, plugins: byPlugin.map((p) => p.plugin), values };
}

/** The summary as Diagnosis.scored lists it. */
export function expandScored(s: ScoreSummary | undefined): ScoredNode[] {
  if (!s) return [];
  const width = 1 + s.plugins.length;
  return s.nodes.map((node, r) => {
    const scores: Record<string, number> = {};
    for (let k = 0; k < s.plugins.length; k++) scores[s.plugins[k]!] = s.values[r * width + 1 + k]!;
    return { node, total: s.values[r * width]!, scores };
  });
}
