// What an entry of the fault table holds: everything kip knows about one fault action, so that a
// new action is one file. A network action acts on the links between nodes: its parameters (the
// block of the spec named after it, `spec.delay`), their validation, how they travel to the agents
// (parsed into numbers), how people read them, and what the agent does to the traffic. A node
// action acts on a node's agent itself: its fields of the spec, their validation, its message to
// the agent and its words.
//
// Parameters are TypeBox schemas, that is JSON Schema: the API's schema of the chaos kinds is put
// together from them, and the TypeScript types are derived from them.

import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import type { Errors } from '../validate.js';
import type { Obj } from '../../validation/errors.js';

/** One parameter in words: `kip describe` lists it as name=value (`jitter=20ms`). */
export interface ParamWords {
  name: string;
  value: string;
  /** how it reads right after the action's name ("delay 100ms ±20ms"); absent: in brackets after them, "(correlation 25%)" */
  inline?: string;
}

/**
 * What the network faults on one direction of a link add up to: the effects the agent's fault
 * stages know how to have on bytes. An action that needs an effect not listed here adds it here
 * and in the agent's stage.
 */
export interface TrafficShape {
  /** nothing moves, and connections opened now are held both ways (partition, timeout) */
  held: boolean;
  latencyMs: number;
  jitterMs: number;
  /** 0 to 1: how much each delay follows the one before */
  correlation: number;
  /** the tightest rate on the direction, in bytes per second; absent: not limited */
  bytesPerSecond?: number;
  /** seeds of the faults that draw delays: another set draws another sequence */
  delaySeeds: number[];
}

/** What the network faults on a link do to whole connections. */
export interface ConnectionEffect {
  /** independent chances that a new connection is refused, and that a live one is reset each second */
  resets: { probability: number; chaos: string; seed: number }[];
}

/** A fault as the agent gets it: its parsed parameters (which a frame may leave out), who asked, its seed. */
export type FaultOnLink<W extends TProperties> = Partial<Static<TObject<W>>> & { chaos: string; seed: number };

/**
 * How the agent enforces a network action. Bytes flow one way, so an effect on them is enforced
 * for each direction the fault covers; an effect on whole connections is enforced once per pair
 * of nodes, or it would count twice.
 */
export type Enforcement<W extends TProperties> =
  | { scope: 'direction'; shape(s: TrafficShape, f: FaultOnLink<W>): TrafficShape }
  | { scope: 'connection'; effect(c: ConnectionEffect, f: FaultOnLink<W>): ConnectionEffect };

/** What every action has: a name, words for help texts, an example, and the schemas of its parameters. */
interface FaultAction<N extends string, P extends TProperties, W extends TProperties> {
  readonly name: N;
  /** one line for help texts and the schema */
  readonly description: string;
  /** the spec fields a fault of this action sets besides the common ones, for docs and tests */
  readonly example: Obj;
  /** a network action's block spec.<name>, a node action's own fields; empty: it takes none */
  readonly params: TObject<P>;
  /** its parameters parsed, as its message to the agent carries them; each a number of at least 0 */
  readonly wire: TObject<W>;
}

export interface NetworkFaultAction<N extends string = string, P extends TProperties = TProperties, W extends TProperties = TProperties>
  extends FaultAction<N, P, W> {
  /** checks the block's fields (the block is there: required when the spec is this action) */
  validate?(e: Errors, block: Obj, at: string): void;
  /** the parsed parameters of a valid block */
  toWire(block: Static<TObject<P>> | undefined): Static<TObject<W>>;
  /** its parameters in words; the block may be partial, from a file not yet validated */
  describe(block: Partial<Static<TObject<P>>> | undefined): ParamWords[];
  /** what the action means when its name does not say it, shown with the parameters */
  readonly note?: string;
  readonly enforce: Enforcement<W>;
}

/** The times validation has already parsed from the fields every fault has. */
export interface NodeSpecTimes {
  durationMs?: number;
  intervalMs?: number;
}

export interface NodeFaultAction<N extends string = string, P extends TProperties = TProperties, W extends TProperties = TProperties>
  extends FaultAction<N, P, W> {
  /** checks the fields only it takes and its rules on the common ones (duration) */
  validate?(e: Errors, spec: Obj, times: NodeSpecTimes): void;
  /** the fields of its nodeAction message, from a valid spec */
  toWire(spec: Partial<Static<TObject<P>>> & { duration?: string }): Static<TObject<W>>;
  /** its own fields in words */
  describe(spec: Partial<Static<TObject<P>>> & Obj): ParamWords[];
}

type NoParams = Record<never, never>;
const NO_PARAMS = { params: Type.Object({}), wire: Type.Object({}), toWire: () => ({}), describe: () => [] };

/** Declares a network action; the type parameters come from its schemas. One without parameters gives none. */
export function defineNetworkAction<const N extends string, P extends TProperties, W extends TProperties>(
  a: NetworkFaultAction<N, P, W>,
): NetworkFaultAction<N, P, W>;
export function defineNetworkAction<const N extends string>(
  a: Pick<NetworkFaultAction<N, NoParams, NoParams>, 'name' | 'description' | 'note' | 'enforce'>,
): NetworkFaultAction<N, NoParams, NoParams>;
export function defineNetworkAction(a: Partial<NetworkFaultAction> & Pick<NetworkFaultAction, 'name' | 'description' | 'enforce'>): NetworkFaultAction {
  return { ...NO_PARAMS, example: {}, ...a };
}

/** Declares a node action; the type parameters come from its schemas. One without parameters gives none. */
export function defineNodeAction<const N extends string, P extends TProperties, W extends TProperties>(a: NodeFaultAction<N, P, W>): NodeFaultAction<N, P, W>;
export function defineNodeAction<const N extends string>(
  a: Pick<NodeFaultAction<N, NoParams, NoParams>, 'name' | 'description' | 'validate'>,
): NodeFaultAction<N, NoParams, NoParams>;
export function defineNodeAction(a: Partial<NodeFaultAction> & Pick<NodeFaultAction, 'name' | 'description'>): NodeFaultAction {
  return { ...NO_PARAMS, example: {}, ...a };
}

/** Why a schedule's interval is refused when it is not longer than spec.duration. */
export function runsOverlap(spec: Obj): string {
  return `Invalid value: "${String((spec.schedule as Obj).interval)}": must be longer than spec.duration, or runs would overlap`;
}
