// The chaos controllers under test: a MemoryStore, a Registry and a FakeClock, Ready nodes, and
// fake agent sessions that keep what the controllers send them.

import {
  CHAOS_API_VERSION,
  FakeClock,
  isoTime,
  silentLogger,
  type ControlPlaneMessage,
  type Event,
  type NetworkChaos,
  type NetworkChaosSpec,
  type Node,
  type NodeChaos,
  type NodeChaosSpec,
  type RestartRequest,
} from '@kip/shared';
import { Registry } from '@kip/controlplane';
import { StoreEventRecorder } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';
import { Chaos, type ChaosAgents, type ControlPlaneProcess } from '@kip/controlplane';

export class FakeSession {
  readonly sent: ControlPlaneMessage[] = [];
  constructor(
    public connectedAtMs: number,
    readonly pid = 0,
  ) {}
  send(msg: ControlPlaneMessage): boolean {
    this.sent.push(msg);
    return true;
  }
}

export class FakeAgents implements ChaosAgents {
  readonly sessions = new Map<string, FakeSession>();
  session(node: string): FakeSession | undefined {
    return this.sessions.get(node);
  }
}

export interface ChaosEnv {
  clock: FakeClock;
  store: MemoryStore;
  registry: Registry;
  agents: FakeAgents;
  chaos: Chaos;
  /** the agent pids whose pause the controller ended early */
  resumed: number[];
  /** the control plane a ControlPlaneChaos acts on: a fake whose kill and restart request are only recorded */
  controlPlane: FakeControlPlane;
}

/** The control plane's own process, faked: durable and supervised unless told otherwise. */
export class FakeControlPlane implements ControlPlaneProcess {
  durable = true;
  dataDir = '/nonexistent';
  pid = 4242;
  startedAtMs = 0;
  launcher = true;
  readonly restartRequests: RestartRequest[] = [];
  kills = 0;
  supervised(): boolean {
    return this.launcher;
  }
  requestRestart(req: RestartRequest): void {
    this.restartRequests.push(req);
  }
  kill(): void {
    this.kills++;
  }
}

export function makeChaosEnv(nodes = ['node-1', 'node-2', 'node-3']): ChaosEnv {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const registry = new Registry({ store, log: silentLogger, clock });
  const recorder = new StoreEventRecorder(store, { component: 'test', clock });
  const agents = new FakeAgents();
  const resumed: number[] = [];
  const resumeNow = (pid: number) => (resumed.push(pid), 1);
  const controlPlane = new FakeControlPlane();
  controlPlane.startedAtMs = clock.now();
  const chaos = new Chaos({ store, registry, recorder, log: silentLogger, clock, agents, resumeNow }, controlPlane);
  const env = { clock, store, registry, agents, chaos, resumed, controlPlane };
  for (const n of nodes) addNode(env, n);
  return env;
}

export function addNode(env: ChaosEnv, name: string, ready = true, labels: Record<string, string> = {}): void {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown', lastTransitionTime: isoTime(env.clock.now()) }] },
  };
  env.store.create(node);
  if (ready) env.agents.sessions.set(name, new FakeSession(env.clock.now(), 1000 + env.agents.sessions.size));
}

export function nodeChaos(name: string, spec: NodeChaosSpec): NodeChaos {
  return { apiVersion: CHAOS_API_VERSION, kind: 'NodeChaos', metadata: { name, namespace: 'default' }, spec };
}

export function networkChaos(name: string, spec: NetworkChaosSpec): NetworkChaos {
  return { apiVersion: CHAOS_API_VERSION, kind: 'NetworkChaos', metadata: { name, namespace: 'default' }, spec };
}

export function get<T extends NodeChaos | NetworkChaos>(env: ChaosEnv, kind: T['kind'], name: string): T {
  return env.store.get<T>(kind, 'default', name)!;
}

export function events(env: ChaosEnv, reason?: string): Event[] {
  return env.store
    .list<Event>('Event')
    .items.filter((e) => !reason || e.reason === reason)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

/** Messages of one type a node was sent. */
export function sentTo<T extends ControlPlaneMessage['type']>(env: ChaosEnv, node: string, type: T): Extract<ControlPlaneMessage, { type: T }>[] {
  return (env.agents.sessions.get(node)?.sent ?? []).filter((m): m is Extract<ControlPlaneMessage, { type: T }> => m.type === type);
}
