// Counts per topology pair (a node label key and one of its values: "zone=a", "hostname=node-1"),
// as kube-scheduler's topologyToMatchedTermCount. Kept as key -> value -> count so that a node is
// looked up by reading its labels, without building a pair string per node.

const NONE = 0;

export class TopologyCounts {
  private readonly byKey = new Map<string, Map<string, number>>();

  /** Adds n at (key, the node's value for key); a node without the key adds nothing. */
  add(key: string, nodeLabels: Readonly<Record<string, string>>, n: number): void {
    const value = nodeLabels[key];
    if (value === undefined) return;
    this.addPair(key, value, n);
  }

  addPair(key: string, value: string, n: number): void {
    let values = this.byKey.get(key);
    if (!values) {
      values = new Map();
      this.byKey.set(key, values);
    }
    values.set(value, (values.get(value) ?? 0) + n);
  }

  /** The count at (key, the node's value for key); 0 when the node lacks the key. */
  on(key: string, nodeLabels: Readonly<Record<string, string>>): number {
    const value = nodeLabels[key];
    if (value === undefined) return NONE;
    return this.byKey.get(key)?.get(value) ?? NONE;
  }

  /** The count at (key, value); 0 for a pair never counted. */
  at(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? NONE;
  }

  /** Whether any pair the node belongs to has a positive count. */
  anyOn(nodeLabels: Readonly<Record<string, string>>): boolean {
    for (const [key, values] of this.byKey) {
      const value = nodeLabels[key];
      if (value !== undefined && (values.get(value) ?? 0) > 0) return true;
    }
    return false;
  }

  /** The sum of the counts of the pairs the node belongs to. */
  sumOn(nodeLabels: Readonly<Record<string, string>>): number {
    let sum = 0;
    for (const [key, values] of this.byKey) {
      const value = nodeLabels[key];
      if (value !== undefined) sum += values.get(value) ?? 0;
    }
    return sum;
  }

  /** The values counted under key (domains), with their counts. */
  valuesOf(key: string): ReadonlyMap<string, number> | undefined {
    return this.byKey.get(key);
  }

  isEmpty(): boolean {
    return this.byKey.size === 0;
  }
}
