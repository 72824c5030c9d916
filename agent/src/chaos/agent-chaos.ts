// Chaos in the agent: what the control plane's `faults` and `nodeAction` messages become. Network
// faults go on links (one LinkShaper per peer node, on the proxy's Link, and one for the link to
// the control plane); node actions are carried out on the agent itself (node-actions.ts).
//
// `faults` always carries the whole set this node must enforce: the agent sets what is listed and
// heals what is not, so a reconnect (which sends the set again) leaves it exactly right.

import type { Duplex } from 'node:stream';
import type { EventRecord, Faults, Logger, NetworkFault, NodeAction } from '@kip/shared';
import type { LinkConnection, LinkFault } from '../proxy/link.js';
import { ControlPlaneConnection, CONTROL_PLANE_PEER, type ControlPlaneTarget } from './cp-connection.js';
import { FaultWatch } from './fault-watch.js';
import { LinkShaper, type ShapedLink } from './link-shaper.js';
import { performNodeAction, type NodeActionDeps } from './node-actions.js';

export interface AgentChaosOptions {
  nodeName: string;
  /** <data-dir>/nodes/<node>, where a restart request is left */
  nodeDir: string;
  log: Logger;
  /** the proxy's link to a peer node (NodeProxy.link) */
  link(peer: string): ShapedLink;
  /** sends an event about this node to the control plane */
  event(ev: EventRecord): void;
  /** the join token: the side channel reads fault objects with it */
  token?: string;
  /** overrides for node actions (tests) */
  nodeActions?: Partial<NodeActionDeps>;
}

/** The agent's link to the control plane: its current connection, for resets. */
class ControlPlaneLink implements ShapedLink {
  readonly open = new Set<ControlPlaneConnection>();
  setFault(_fault: LinkFault | undefined): void {
    // Connections to the control plane always carry their stages; the shaper is read live.
  }
  connections(): LinkConnection[] {
    return [...this.open];
  }
}

export class AgentChaos {
  private readonly shapers = new Map<string, LinkShaper>();
  private readonly cpLink = new ControlPlaneLink();
  private readonly cpShaper: LinkShaper;
  private readonly watch: FaultWatch;
  private readonly log: Logger;

  constructor(private readonly opts: AgentChaosOptions) {
    this.log = opts.log.child('chaos');
    this.cpShaper = new LinkShaper(CONTROL_PLANE_PEER, this.cpLink, this.log);
    this.watch = new FaultWatch({ nodeName: opts.nodeName, log: this.log, apply: (f) => this.setFaults(f), ...(opts.token ? { token: opts.token } : {}) });
  }

  handle(msg: Faults | NodeAction): void {
    if (msg.type === 'faults') return this.setFaults(msg.faults);
    void performNodeAction(msg, {
      nodeName: this.opts.nodeName,
      nodeDir: this.opts.nodeDir,
      log: this.log,
      event: this.opts.event,
      ...this.opts.nodeActions,
    }).catch((err: unknown) => {
      const message = `chaos ${msg.chaos}: could not ${msg.action} this node: ${(err as Error).message}`;
      this.log.error(message, { node: this.opts.nodeName });
      this.opts.event({ involvedObject: { kind: 'Node', name: this.opts.nodeName }, reason: 'ChaosFailed', message, type: 'Warning' });
    });
  }

  /** Enforces exactly these faults; everything else is healed. */
  setFaults(faults: NetworkFault[]): void {
    const byPeer = new Map<string, NetworkFault[]>();
    for (const f of faults) {
      const peer = f.controlPlane ? CONTROL_PLANE_PEER : f.peer!;
      if (!f.controlPlane && peer === this.opts.nodeName) continue;
      byPeer.set(peer, [...(byPeer.get(peer) ?? []), f]);
    }
    for (const [peer, shaper] of this.shapers) if (!byPeer.has(peer)) shaper.update([]);
    if (!byPeer.has(CONTROL_PLANE_PEER)) this.cpShaper.update([]);
    for (const [peer, list] of byPeer) this.shaper(peer).update(list);
    // A fault on the link to the control plane may hold or cut the very message that heals it: look aside.
    this.watch.watch(this.cpShaper.active, faults);
  }

  private shaper(peer: string): LinkShaper {
    if (peer === CONTROL_PLANE_PEER) return this.cpShaper;
    let s = this.shapers.get(peer);
    if (!s) this.shapers.set(peer, (s = new LinkShaper(peer, this.opts.link(peer), this.log)));
    return s;
  }

  /** The faults enforced now, per peer ("control-plane" for the link to it). */
  active(): Record<string, NetworkFault[]> {
    const out: Record<string, NetworkFault[]> = {};
    for (const s of [...this.shapers.values(), this.cpShaper]) if (s.active) out[s.peer] = [...s.current()];
    return out;
  }

  /** ws's createConnection: the agent's connection to the control plane, through its fault stages. */
  connectControlPlane(target: ControlPlaneTarget): Duplex {
    this.watch.setControlPlane(target.host, target.port, target.tls);
    const c = new ControlPlaneConnection(this.cpShaper, target, this.log);
    this.cpLink.open.add(c);
    c.once('close', () => this.cpLink.open.delete(c));
    return c;
  }

  /** Heals everything (agent shutdown). */
  stop(): void {
    this.watch.stop();
    for (const s of this.shapers.values()) s.close();
    this.cpShaper.close();
  }
}
