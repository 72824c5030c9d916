import assert from 'node:assert/strict';
import { DESCRIBE_OPTIONS, GET_TABLE_OPTIONS, TabWriter, tabify } from '@kip/scripts';

describe('cli tab writer', () => {
  it('aligns get tables with three-space gutters and a minimum column width of six', () => {
    const out = tabify('NAME\tREADY\tAGE\nweb-1\t1/1\t5s\nx\t0/1\t3m2s\n', GET_TABLE_OPTIONS);
    assert.equal(out, ['NAME    READY   AGE', 'web-1   1/1     5s', 'x       0/1     3m2s', ''].join('\n'));
  });

  it('never pads the last cell of a line', () => {
    const out = tabify('A\tB\nlonger\tx\n');
    assert.ok(out.split('\n').every((l) => !l.endsWith(' ')));
  });

  it('aligns describe fields per run of lines, and a line without tabs ends the run', () => {
    const text = 'Name:\tweb\nService Account:\tdefault\nContainers:\n  c:\n    Image:\tx\n    Restart Count:\t0\n';
    const out = tabify(text, DESCRIBE_OPTIONS);
    assert.equal(
      out,
      ['Name:             web', 'Service Account:  default', 'Containers:', '  c:', '    Image:          x', '    Restart Count:  0', ''].join('\n'),
    );
  });

  it('continues a run through continuation lines that start with a tab (multi-line labels)', () => {
    const out = tabify('Labels:\ta=1\n\tb=2\nStatus:\tRunning\n', DESCRIBE_OPTIONS);
    assert.equal(out, ['Labels:  a=1', '         b=2', 'Status:  Running', ''].join('\n'));
  });

  it('keeps widths across flushes when asked to, for rows printed by a watch', () => {
    const w = new TabWriter({ ...GET_TABLE_OPTIONS, rememberWidths: true });
    w.write('NAME\tSTATUS\nweb-long-name\tRunning\n');
    const first = w.flush();
    w.write('a\tPending\n');
    const second = w.flush();
    assert.equal(first.split('\n')[1]!.indexOf('Running'), second.indexOf('Pending'));
  });

  it('counts characters, not bytes, when sizing cells', () => {
    const out = tabify('é\tx\nab\ty\n');
    const lines = out.split('\n');
    assert.equal(lines[0]!.indexOf('x'), lines[1]!.indexOf('y'));
  });
});
