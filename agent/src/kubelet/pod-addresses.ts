// The addresses of this node's pods: a pod IP from the node's pod CIDR (IPAM) and a real host port
// behind each declared container port. The kubelet allocates and releases them; the node's proxy
// asks which pod has an IP and which host port backs its container port. Both hold this one
// object, so the proxy can be built (and answer) before the kubelet exists, and the pod CIDR is
// assigned when the control plane names it instead of being guessed beforehand.

import { HostPortAllocator } from './host-ports.js';
import { Ipam } from './ipam.js';

export interface PodName {
  namespace: string;
  name: string;
}

interface Held {
  pod: PodName;
  ip: string;
  /** "container/containerPort" -> host port, in declaration order. */
  hostPorts: Record<string, number>;
}

export class PodAddresses {
  private readonly ipam = new Ipam();
  private readonly ports = new HostPortAllocator();
  private readonly byUid = new Map<string, Held>();

  /** The node's pod CIDR, from the control plane's welcome: new pods get addresses from it; pods keep theirs. */
  assignCidr(cidr: string): void {
    this.ipam.setCidr(cidr);
  }

  /** The pod's IP: the one it has, else `preferred` if free, else the next free one; throws when none is left. */
  allocateIP(uid: string, pod: PodName, preferred?: string): string {
    const ip = this.ipam.allocate(uid, preferred);
    const held = this.byUid.get(uid);
    if (held) held.ip = ip;
    else this.byUid.set(uid, { pod, ip, hostPorts: {} });
    return ip;
  }

  /** Host ports for each of the pod's declared ports ("container/containerPort"). */
  async allocatePorts(uid: string, keys: readonly string[]): Promise<Record<string, number>> {
    const hostPorts = await this.ports.allocate(uid, keys);
    const held = this.byUid.get(uid);
    if (held) held.hostPorts = hostPorts;
    return hostPorts;
  }

  release(uid: string): void {
    this.ipam.release(uid);
    this.ports.release(uid);
    this.byUid.delete(uid);
  }

  /**
   * The pod with this IP here and the host port backing its container port, for the node's proxy;
   * neither when no pod here has the IP. A stopping pod still answers until its addresses are
   * released: its connections are drained, not cut.
   */
  localPort(podIP: string, containerPort: number): { pod?: PodName; hostPort?: number } {
    for (const held of this.byUid.values()) {
      if (held.ip !== podIP) continue;
      for (const [key, hostPort] of Object.entries(held.hostPorts)) {
        if (key.endsWith(`/${containerPort}`)) return { pod: held.pod, hostPort };
      }
      return { pod: held.pod };
    }
    return {};
  }
}
