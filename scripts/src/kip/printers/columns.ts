// The columns of `kip get`: each kind's are in its definition (as kubectl's table printers
// compute them); a kind without any shows its age.

import { ageSince, kindDefinition, type ColumnSet } from '@kip/shared';

// The chaos describer reads these from here.
export { chaosMode, chaosSchedule, NONE } from '@kip/shared';

const genericColumns: ColumnSet = {
  nameColumn: true,
  headers: ['AGE'],
  wideHeaders: [],
  cells: (o, now) => [ageSince(o.metadata.creationTimestamp, now)],
  wideCells: () => [],
};

export function columnsFor(kind: string): ColumnSet {
  return kindDefinition(kind)?.columns ?? genericColumns;
}
