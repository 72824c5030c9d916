// Ordering strings the way Kubernetes does: Go's sort.Strings and etcd's keys compare bytes.

/**
 * Compares by UTF-16 code unit, which for the ASCII names and keys kip sorts is byte order. Not
 * String.prototype.localeCompare: that orders by ICU's collation (case and accents first), and its
 * first call maps about 2 MiB of ICU's data into the process, which every agent would pay.
 */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
