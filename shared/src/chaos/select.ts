// Which nodes a fault takes: the nodes its selector matches (names and labels, as Chaos Mesh's
// selectors), then a mode that picks among them (one, all, fixed, fixed-percent,
// random-max-percent). Picking is seeded: the controller and `--dry-run` pick the same nodes.

import type { ChaosMode, NodeSelectorSpec } from '../api/chaos.js';
import { deriveSeed, randomInt, seededRandom, shuffled, type Random } from '../random.js';

export const CHAOS_MODES: readonly ChaosMode[] = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'];

/** What selection needs to know of a node. */
export interface NodeFacts {
  name: string;
  labels?: Record<string, string>;
  ready?: boolean;
}

export interface Matched {
  /** matching nodes, sorted by name */
  nodes: string[];
  /** names the selector lists that no node has */
  missing: string[];
}

/** The nodes a selector matches; an absent selector matches every node. */
export function matchNodes(selector: NodeSelectorSpec | undefined, nodes: readonly NodeFacts[]): Matched {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const named = selector?.nodes;
  const missing = (named ?? []).filter((n) => !byName.has(n));
  const labels = Object.entries(selector?.labelSelectors ?? {});
  const out = nodes.filter((n) => (!named || named.includes(n.name)) && labels.every(([k, v]) => n.labels?.[k] === v)).map((n) => n.name);
  return { nodes: [...new Set(out)].sort(), missing: [...new Set(missing)].sort() };
}

/** "50" or "50%" -> 50; undefined when it is not a whole number. */
function wholeNumber(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim().replace(/%$/, '');
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

/** Why a mode and value do not go together, in words naming the field; undefined when they do. */
export function modeValueError(mode: ChaosMode | undefined, value: string | number | undefined): string | undefined {
  const m = mode ?? 'all';
  const n = wholeNumber(value);
  switch (m) {
    case 'one':
    case 'all':
      return value === undefined ? undefined : `mode ${m} takes no value`;
    case 'fixed':
      if (value === undefined) return 'mode fixed needs a value: how many nodes, e.g. "2"';
      return n !== undefined && n >= 1 && !String(value).includes('%')
        ? undefined
        : `must be a whole number of nodes of at least 1 for mode fixed, not ${JSON.stringify(value)}`;
    case 'fixed-percent':
    case 'random-max-percent':
      if (value === undefined) return `mode ${m} needs a value: a percentage from 1 to 100, e.g. "50"`;
      return n !== undefined && n >= 1 && n <= 100 ? undefined : `must be a percentage from 1 to 100 for mode ${m}, not ${JSON.stringify(value)}`;
    default:
      return `unknown mode ${JSON.stringify(m)}`;
  }
}

/** How many of `count` candidates a mode takes (random-max-percent draws its percentage). */
function howMany(mode: ChaosMode, value: string | number | undefined, count: number, random: Random): number {
  const n = wholeNumber(value) ?? 0;
  switch (mode) {
    case 'one':
      return Math.min(1, count);
    case 'all':
      return count;
    case 'fixed':
      return Math.min(n, count);
    case 'fixed-percent':
      // Chaos Mesh rounds down: 50% of 3 nodes is 1 node.
      return Math.floor((count * n) / 100);
    case 'random-max-percent':
      return Math.floor((count * randomInt(random, n + 1)) / 100);
  }
}

/** Picks among candidates as the mode says; the answer is sorted by name. */
export function pickNodes(candidates: readonly string[], mode: ChaosMode | undefined, value: string | number | undefined, random: Random): string[] {
  const sorted = [...candidates].sort();
  const m = mode ?? 'all';
  const k = howMany(m, value, sorted.length, random);
  if (k >= sorted.length) return sorted;
  return shuffled(sorted, random).slice(0, k).sort();
}

/** The generator a run uses to pick nodes: one stream per seed, run and purpose. */
export function selectionRandom(seed: number, run: number, purpose: 'nodes' | 'targets'): Random {
  return seededRandom(deriveSeed(seed, purpose, run));
}

/** A one-line account of a choice, for records and `--dry-run`: "node-2 (mode one of node-1, node-2, node-3)". */
export function describeChoice(
  chosen: readonly string[],
  candidates: readonly string[],
  mode: ChaosMode | undefined,
  value: string | number | undefined,
): string {
  const picked = chosen.join(', ') || 'no node';
  if (mode === undefined || mode === 'all') return picked;
  return `${picked} (mode ${mode}${value === undefined ? '' : ` ${value}`} of ${candidates.join(', ') || 'no candidate'})`;
}
