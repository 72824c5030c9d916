// IPv4 addresses and CIDR ranges as unsigned 32-bit numbers: the arithmetic of pod and service
// addressing, in one place.

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export interface Cidr {
  /** the network address */
  base: number;
  prefix: number;
  mask: number;
}

/** "10.244.3.7" as a number, or undefined when it is not a dotted quad of 0..255. */
export function ipToNumber(ip: string): number | undefined {
  const m = DOTTED.exec(ip);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(s: string): boolean {
  return ipToNumber(s) !== undefined;
}

/** "10.244.3.0/24", or undefined when it is not one; host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = ipToNumber(text.slice(0, slash).trim());
  const p = text.slice(slash + 1).trim();
  if (addr === undefined || !/^\d{1,2}$/.test(p) || Number(p) > 32) return undefined;
  const prefix = Number(p);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (addr & mask) >>> 0, prefix, mask };
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return (ip & c.mask) >>> 0 === c.base;
}
