// Fault objects, in the shape Chaos Mesh gave the field: a selector of nodes with a mode, an
// action, an optional duration and schedule, and a status that records what was done. They live
// under kip's own API group, chaos.kip.dev/v1alpha1.
//
// The specs are JSON Schema (TypeBox), with the TypeScript types derived from them. The actions
// and their parameters come from the fault table (shared/src/chaos/actions): a new action shows up
// here, in the schema and the types, without a change to this file.

import { Type, type Static, type TOptional } from '@sinclair/typebox';
import {
  hasParams,
  NETWORK_ACTION_NAMES,
  NETWORK_ACTIONS,
  NODE_ACTION_NAMES,
  NODE_ACTIONS,
  type NetworkActionName,
  type NodeActionName,
} from '../chaos/actions/index.js';
import type { CHAOS_API_VERSION } from './names.js';
import type { KObject } from './types.js';

/** How many of the selected nodes a fault takes (Chaos Mesh's modes). */
export const ChaosModeSchema = Type.Union([
  Type.Literal('one'),
  Type.Literal('all'),
  Type.Literal('fixed'),
  Type.Literal('fixed-percent'),
  Type.Literal('random-max-percent'),
]);
export type ChaosMode = Static<typeof ChaosModeSchema>;

export const NodeSelectorSpecSchema = Type.Object({
  nodes: Type.Optional(Type.Array(Type.String(), { description: 'Node names; when set, only these are candidates.' })),
  labelSelectors: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "Node labels that must all match (Chaos Mesh's labelSelectors)." })),
});
export type NodeSelectorSpec = Static<typeof NodeSelectorSpecSchema>;

export const ChaosTargetSpecSchema = Type.Object({
  selector: Type.Optional(NodeSelectorSpecSchema),
  mode: Type.Optional(ChaosModeSchema),
  value: Type.Optional(Type.String({ description: "a count for fixed, a percentage for the percent modes, as a string like Chaos Mesh's" })),
});
export type ChaosTargetSpec = Static<typeof ChaosTargetSpecSchema>;

export const ChaosScheduleSpecSchema = Type.Object({
  interval: Type.Optional(Type.String({ description: 'repeat every interval ("10s", "1m")' })),
  cron: Type.Optional(Type.String({ description: 'or on a five-field cron schedule ("*/2 * * * *")' })),
  count: Type.Optional(Type.Integer({ minimum: 1, description: 'stop after this many runs' })),
});
export type ChaosScheduleSpec = Static<typeof ChaosScheduleSpecSchema>;

const commonSpec = {
  ...ChaosTargetSpecSchema.properties,
  duration: Type.Optional(Type.String({ description: 'How long each injection lasts before it heals by itself; absent: until deleted.' })),
  schedule: Type.Optional(ChaosScheduleSpecSchema),
  seed: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1, description: 'Seeds every random choice (nodes picked, jitter, resets), so a run can be replayed.' }),
  ),
};

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type NodeActionFields = UnionToIntersection<(typeof NODE_ACTIONS)[number]['params']['properties']>;
type NetworkActionBlocks = {
  [A in (typeof NETWORK_ACTIONS)[number] as keyof A['params']['properties'] extends never ? never : A['name']]: TOptional<A['params']>;
};

/** Each node action's own fields (restartDelay), optional since the other actions forbid them. */
const nodeActionFields = Object.assign({}, ...NODE_ACTIONS.map((a) => a.params.properties)) as NodeActionFields;
/** Each network action's block of parameters, spec.<action>. */
const networkActionBlocks = Object.fromEntries(NETWORK_ACTIONS.filter(hasParams).map((a) => [a.name, Type.Optional(a.params)])) as NetworkActionBlocks;

/** Which way a network fault acts, seen from the selected nodes. */
export const CHAOS_DIRECTIONS = ['to', 'from', 'both'] as const;

export type NodeChaosAction = NodeActionName;
export type NetworkChaosAction = NetworkActionName;

export const NodeChaosSpecSchema = Type.Object({
  action: Type.Union(NODE_ACTION_NAMES.map((n) => Type.Literal(n))),
  ...commonSpec,
  minReady: Type.Optional(Type.Integer({ minimum: 0, description: 'Skip an injection that would leave fewer Ready nodes than this.' })),
  ...nodeActionFields,
});
export type NodeChaosSpec = Static<typeof NodeChaosSpecSchema>;

export const NetworkChaosSpecSchema = Type.Object({
  action: Type.Union(NETWORK_ACTION_NAMES.map((n) => Type.Literal(n))),
  ...commonSpec,
  direction: Type.Optional(
    Type.Union(
      CHAOS_DIRECTIONS.map((d) => Type.Literal(d)),
      { description: 'Relative to the selected nodes: traffic to the target, from it, or both ways. Default "to".' },
    ),
  ),
  target: Type.Optional(
    Type.Object(
      { ...ChaosTargetSpecSchema.properties, controlPlane: Type.Optional(Type.Boolean()) },
      { description: 'The other end of the affected links: nodes, and/or the control plane. Default: every other node.' },
    ),
  ),
  ...networkActionBlocks,
});
export type NetworkChaosSpec = Static<typeof NetworkChaosSpecSchema>;

export const ChaosPhaseSchema = Type.Union([
  Type.Literal('Pending'),
  Type.Literal('Running'),
  Type.Literal('Injected'),
  Type.Literal('Recovered'),
  Type.Literal('Finished'),
  Type.Literal('Failed'),
]);
export type ChaosPhase = Static<typeof ChaosPhaseSchema>;

export const ChaosRecordSchema = Type.Object({
  time: Type.String({ description: 'when this injection (or skip) happened' }),
  action: Type.String(),
  nodes: Type.Array(Type.String(), { description: 'the nodes it chose' }),
  targets: Type.Optional(Type.Array(Type.String(), { description: 'for network faults: the peers on the other side of the affected links' })),
  result: Type.Union([Type.Literal('Injected'), Type.Literal('Skipped'), Type.Literal('Recovered'), Type.Literal('Failed')]),
  message: Type.Optional(Type.String()),
});
export type ChaosRecord = Static<typeof ChaosRecordSchema>;

export const ChaosStatusSchema = Type.Object({
  phase: Type.Optional(ChaosPhaseSchema),
  runs: Type.Optional(Type.Integer({ description: 'how many times it has been injected' })),
  nextRunTime: Type.Optional(Type.String()),
  affected: Type.Optional(Type.Array(Type.String(), { description: 'nodes under the fault right now' })),
  records: Type.Optional(Type.Array(ChaosRecordSchema)),
  targets: Type.Optional(Type.Array(Type.String(), { description: 'for network faults: the nodes on the other side of the affected links right now' })),
  injectedTime: Type.Optional(Type.String({ description: 'when the current injection began' })),
  healTime: Type.Optional(Type.String({ description: 'when the current injection heals by itself (its start plus spec.duration)' })),
  skippedRuns: Type.Optional(Type.Integer({ description: 'runs that were skipped (minReady, no node to act on) or failed; they count toward schedule.count' })),
  seed: Type.Optional(Type.Integer({ description: "the seed in use: spec.seed, or one derived from the object's uid when none was given" })),
  killedPid: Type.Optional(Type.Integer({ description: 'for a ControlPlaneChaos: the pid of the control plane process it killed' })),
  downtimeMs: Type.Optional(Type.Integer({ description: 'for a ControlPlaneChaos: how long the control plane was down, from the kill to its restart (ms)' })),
});
export type ChaosStatus = Static<typeof ChaosStatusSchema>;

export interface NodeChaos extends KObject {
  apiVersion: typeof CHAOS_API_VERSION;
  kind: 'NodeChaos';
  spec: NodeChaosSpec;
  status?: ChaosStatus;
}

export interface NetworkChaos extends KObject {
  apiVersion: typeof CHAOS_API_VERSION;
  kind: 'NetworkChaos';
  spec: NetworkChaosSpec;
  status?: ChaosStatus;
}

/** ControlPlaneChaos's spec: validated by chaos/control-plane.ts. */
export interface ControlPlaneChaosSpec {
  action: 'kill';
  /** how long the launcher waits before it starts the control plane again (a duration; default 0s) */
  restartAfter?: string;
}

export interface ControlPlaneChaos extends KObject {
  apiVersion: typeof CHAOS_API_VERSION;
  kind: 'ControlPlaneChaos';
  spec: ControlPlaneChaosSpec;
  status?: ChaosStatus;
}
