import assert from 'node:assert/strict';
import { UsageError } from '@kip/scripts';
import { CustomColumnsPrinter, parseCustomColumns } from '@kip/scripts';
import { executeTemplate } from '@kip/scripts';
import { parseOutput } from '@kip/scripts';
import { node, pod } from './fixtures.js';

const list = {
  apiVersion: 'v1',
  kind: 'List',
  items: [pod('a', { node: 'node-1', ip: '10.244.1.2', labels: { app: 'web' } }), pod('b', { node: 'node-2', labels: { app: 'db' } })],
};

describe('cli jsonpath and custom columns', () => {
  const cases: [string, unknown, string][] = [
    ['{.metadata.name}', pod('a'), 'a'],
    ['{.items[*].metadata.name}', list, 'a b'],
    ['{.items[0].spec.nodeName}', list, 'node-1'],
    ['{.items[-1].metadata.name}', list, 'b'],
    ['{.items[0:1].metadata.name}', list, 'a'],
    ["{.items[*].metadata.labels['app']}", list, 'web db'],
    ['{range .items[*]}{.metadata.name}{"\\t"}{.spec.nodeName}{"\\n"}{end}', list, 'a\tnode-1\nb\tnode-2\n'],
    ['{.items[?(@.spec.nodeName=="node-2")].metadata.name}', list, 'b'],
    ['{.items[?(@.status.podIP)].metadata.name}', list, 'a'],
    ['{..agentPid}', node('n', { pid: 99 }), '99'],
    ['{.status.conditions[?(@.type=="Ready")].status}', node('n'), 'True'],
    ['name={.metadata.name} missing={.spec.nothing}.', pod('a'), 'name=a missing=.'],
    ['{.metadata.labels}', pod('a', { labels: { x: '1' } }), '{"x":"1"}'],
  ];
  for (const [template, value, want] of cases) it(`executes ${template}`, () => assert.equal(executeTemplate(template, value), want));

  it('refuses templates that do not parse, naming the template', () => {
    for (const t of ['{range .items[*]}{.a}', '{.a', '{.items[?(]}', '{end}'])
      assert.throws(
        () => executeTemplate(t, {}),
        (e: unknown) => e instanceof UsageError && e.message.startsWith('error parsing jsonpath'),
        t,
      );
  });

  it('reads -o jsonpath=... and -o custom-columns=... with their templates', () => {
    assert.deepEqual(parseOutput('jsonpath={.a}', ['jsonpath']), { format: 'jsonpath', template: '{.a}' });
    assert.throws(() => parseOutput('jsonpath', ['jsonpath']), /jsonpath format specified but no template given/);
    assert.throws(() => parseOutput('json=x', ['json']), /unable to match a printer/);
  });

  it('prints custom columns with <none> for missing fields, the header once', () => {
    const p = new CustomColumnsPrinter(parseCustomColumns('NAME:.metadata.name,IP:{.status.podIP},APP:metadata.labels.app'), false);
    assert.equal(p.print(list.items), ['NAME   IP           APP', 'a      10.244.1.2   web', 'b      <none>       db', ''].join('\n'));
    assert.equal(p.print([pod('c')]), 'c      <none>       <none>\n');
    assert.throws(() => parseCustomColumns('NAME'), /expected <header>:<json-path-expr>/);
  });
});
