// Equality of API data as JSON sees it: the same values under the same keys, whatever their
// order, with a key whose value is undefined counted as absent (JSON.stringify leaves it out).
// util.isDeepStrictEqual counts such keys, and comparing JSON texts depends on key order; objects
// built with spreads (`{ ...c, image: undefined }`) and objects read back from the store must
// compare equal when they would serialize to the same object.

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(ra[k], rb[k]));
}
