// NodeChaos and NetworkChaos: faults as objects, run by the chaos controller. Their specs are
// checked by the fault engine's own validation (chaos/validate.ts); the schema here only says
// where they live, so far.

import { Type } from '@sinclair/typebox';
import { CHAOS_API_VERSION, CHAOS_GROUP } from '../api/names.js';
import type { ChaosStatus, ControlPlaneChaos, ControlPlaneChaosSpec, NetworkChaos, NetworkChaosSpec, NodeChaos, NodeChaosSpec } from '../api/chaos.js';
import { validateControlPlaneChaosSpec } from '../chaos/control-plane.js';
import { validateChaosSpec } from '../chaos/validate.js';
import type { Obj } from '../validation/errors.js';
import { notRequiredOnInput, READ_ONLY, withCheck } from '../validation/schema.js';
import { ageSince, humanDuration } from './age.js';
import { NONE } from './describe.js';
import { defineKind, type ColumnSet } from './kind.js';
import { ObjectMeta } from './meta.js';

function chaosSchema<K extends 'NodeChaos' | 'NetworkChaos' | 'ControlPlaneChaos', Spec>(kind: K) {
  return withCheck(
    notRequiredOnInput(
      Type.Object({
        apiVersion: Type.Literal(CHAOS_API_VERSION),
        kind: Type.Literal(kind),
        metadata: ObjectMeta,
        // Any shape passes the schema: the fault engine's validation below says what is wrong with it.
        spec: Type.Unsafe<Spec>({ 'x-kubernetes-preserve-unknown-fields': true }),
        status: Type.Optional(Type.Unsafe<ChaosStatus>({ type: 'object', ...READ_ONLY })),
      }),
      'spec',
    ),
    (o: Obj, _field, errors) => errors.addAll(kind === 'ControlPlaneChaos' ? validateControlPlaneChaosSpec(o.spec) : validateChaosSpec(kind, o.spec)),
  );
}

export const NodeChaosSchema = chaosSchema<'NodeChaos', NodeChaosSpec>('NodeChaos');
export const NetworkChaosSchema = chaosSchema<'NetworkChaos', NetworkChaosSpec>('NetworkChaos');
export const ControlPlaneChaosSchema = chaosSchema<'ControlPlaneChaos', ControlPlaneChaosSpec>('ControlPlaneChaos');

/** MODE as `one`, `fixed 2`, `fixed-percent 50%`; `all` when none is set. */
export function chaosMode(spec: { mode?: string; value?: string | number }): string {
  const mode = spec.mode ?? 'all';
  if (spec.value === undefined) return mode;
  return mode.endsWith('percent') ? `${mode} ${String(spec.value).replace(/%$/, '')}%` : `${mode} ${spec.value}`;
}

/** SCHEDULE as `every 10s x5`, `cron 0 * * * *`, or <none>. */
export function chaosSchedule(spec: { schedule?: { interval?: string; cron?: string; count?: number } }): string {
  const s = spec.schedule;
  if (!s) return NONE;
  const base = s.interval ? `every ${s.interval}` : s.cron ? `cron ${s.cron}` : NONE;
  return s.count !== undefined ? `${base} x${s.count}` : base;
}

const chaosColumns: ColumnSet<NodeChaos | NetworkChaos> = {
  nameColumn: true,
  headers: ['ACTION', 'MODE', 'DURATION', 'PHASE', 'RUNS', 'AGE'],
  wideHeaders: ['AFFECTED', 'TARGETS', 'SCHEDULE', 'NEXT RUN'],
  cells: (c, now) => [
    c.spec?.action ?? '',
    chaosMode(c.spec ?? {}),
    c.spec?.duration ?? NONE,
    c.status?.phase ?? 'Pending',
    String(c.status?.runs ?? 0),
    ageSince(c.metadata.creationTimestamp, now),
  ],
  wideCells: (c, now) => {
    const next = c.status?.nextRunTime;
    const nextRun = next ? (Date.parse(next) > now ? `in ${humanDuration(Date.parse(next) - now)}` : 'now') : NONE;
    return [(c.status?.affected ?? []).join(',') || NONE, (c.status?.targets ?? []).join(',') || NONE, chaosSchedule(c.spec ?? {}), nextRun];
  },
};

const resource = (kind: string, plural: string) => ({
  kind,
  plural,
  singular: plural,
  shortNames: [],
  group: CHAOS_GROUP,
  version: 'v1alpha1',
  namespaced: true,
});

// Only the chaos controller writes a fault's status.
export const nodeChaosKind = defineKind<NodeChaos>({
  resource: resource('NodeChaos', 'nodechaos'),
  schema: NodeChaosSchema,
  status: { subresource: true, onCreate: 'drop' },
  columns: chaosColumns,
});

export const networkChaosKind = defineKind<NetworkChaos>({
  resource: resource('NetworkChaos', 'networkchaos'),
  schema: NetworkChaosSchema,
  status: { subresource: true, onCreate: 'drop' },
  columns: chaosColumns,
});

const controlPlaneChaosColumns: ColumnSet<ControlPlaneChaos> = {
  nameColumn: true,
  headers: ['ACTION', 'RESTART AFTER', 'PHASE', 'DOWNTIME', 'AGE'],
  cells: (c, now) => [
    c.spec?.action ?? '',
    c.spec?.restartAfter ?? '0s',
    c.status?.phase ?? 'Pending',
    c.status?.downtimeMs !== undefined ? `${(c.status.downtimeMs / 1000).toFixed(1)}s` : NONE,
    ageSince(c.metadata.creationTimestamp, now),
  ],
  wideHeaders: ['INJECTED'],
  wideCells: (c) => [c.status?.records?.find((r) => r.result === 'Injected')?.time ?? NONE],
};

export const controlPlaneChaosKind = defineKind<ControlPlaneChaos>({
  resource: resource('ControlPlaneChaos', 'controlplanechaos'),
  schema: ControlPlaneChaosSchema,
  status: { subresource: true, onCreate: 'drop' },
  columns: controlPlaneChaosColumns,
});
