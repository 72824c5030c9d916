// `kip describe nodechaos` and `kip describe networkchaos`: what the fault selects and does, its
// schedule, where it stands (phase, runs, the nodes under it now), and its records: every
// injection, skip, failure and heal with its time and message, oldest first.

import { describeParameters, type ChaosTargetSpec, type Event, type NetworkChaos, type NodeChaos } from '@kip/shared';
import { chaosMode, chaosSchedule, NONE } from '../printers/columns.js';
import { writeAnnotations, writeEvents, writeLabels } from './sections.js';
import { DescribeWriter, type DescribeEnv } from './writer.js';

function selection(t: ChaosTargetSpec | undefined): string {
  const parts: string[] = [];
  if (t?.selector?.nodes?.length) parts.push(`nodes=${t.selector.nodes.join(',')}`);
  const labels = Object.entries(t?.selector?.labelSelectors ?? {}).map(([k, v]) => `${k}=${v}`);
  if (labels.length) parts.push(`labels ${labels.join(',')}`);
  return parts.join('; ') || 'all nodes';
}

export function describeChaos(c: NodeChaos | NetworkChaos, events: readonly Event[], env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  w.field(0, 'Name', c.metadata.name);
  w.field(0, 'Namespace', c.metadata.namespace ?? '');
  writeLabels(w, '', 'Labels', c.metadata.labels);
  writeAnnotations(w, '', 'Annotations', c.metadata.annotations);
  w.field(0, 'API Version', c.apiVersion);
  w.field(0, 'Kind', c.kind);
  w.field(0, 'Action', c.spec.action);
  w.field(0, 'Selector', selection(c.spec));
  w.field(0, 'Mode', chaosMode(c.spec));
  if (c.kind === 'NetworkChaos') {
    const t = c.spec.target;
    const sides = [
      t?.selector || t?.mode ? `${selection(t)} (${chaosMode(t ?? {})})` : t?.controlPlane ? '' : 'every other node',
      t?.controlPlane ? 'the control plane' : '',
    ].filter(Boolean);
    w.field(0, 'Target', sides.join(' and '));
    w.field(0, 'Direction', c.spec.direction ?? 'to');
  }
  const params = describeParameters(c.spec);
  if (params) w.field(0, 'Parameters', params);
  w.field(0, 'Duration', c.spec.duration ?? (c.kind === 'NetworkChaos' ? 'until deleted' : NONE));
  w.field(0, 'Schedule', chaosSchedule(c.spec));
  if (c.kind === 'NodeChaos' && c.spec.minReady !== undefined) w.field(0, 'Min Ready', c.spec.minReady);
  const st = c.status ?? {};
  w.field(0, 'Seed', st.seed ?? c.spec.seed ?? NONE);
  w.write(0, 'Status:\n');
  w.field(1, 'Phase', st.phase ?? 'Pending');
  w.field(1, 'Runs', `${st.runs ?? 0} injected, ${st.skippedRuns ?? 0} skipped or failed`);
  w.field(1, 'Affected', (st.affected ?? []).join(', ') || NONE);
  if (c.kind === 'NetworkChaos')
    w.field(1, 'Targets', [...(st.targets ?? []), ...(c.spec.target?.controlPlane && st.phase === 'Injected' ? ['the control plane'] : [])].join(', ') || NONE);
  if (st.injectedTime) w.field(1, 'Injected', w.date(st.injectedTime));
  if (st.healTime) w.field(1, 'Heals', w.date(st.healTime));
  if (st.nextRunTime) w.field(1, 'Next Run', w.date(st.nextRunTime));
  const records = st.records ?? [];
  if (records.length === 0) w.write(0, `Records:\t${NONE}\n`);
  else {
    w.flush();
    w.write(0, 'Records:\n  Time\tResult\tNodes\tTargets\tMessage\n');
    w.write(1, '----\t------\t-----\t-------\t-------\n');
    for (const r of records)
      w.write(
        1,
        `${w.age(r.time)} ago\t${r.result}\t${r.nodes.join(',') || NONE}\t${(r.targets ?? []).join(',') || NONE}\t${(r.message ?? '').replace(/\n/g, ' ')}\n`,
      );
  }
  writeEvents(w, events);
  return w.toString();
}
