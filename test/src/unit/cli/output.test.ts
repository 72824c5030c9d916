import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { UsageError } from '@kip/scripts';
import { parseOutputFormat, printStructured } from '@kip/scripts';
import { deployment, pod } from './fixtures.js';

describe('cli structured output', () => {
  it('prints one object alone and several as a List, four-space indented', () => {
    const one = printStructured('json', [pod('a')], true);
    assert.equal(JSON.parse(one).kind, 'Pod');
    assert.match(one, /^\{\n {4}"apiVersion": "v1",/);
    const list = JSON.parse(printStructured('json', [pod('a'), pod('b')], false));
    assert.deepEqual(Object.keys(list), ['apiVersion', 'kind', 'metadata', 'items']);
    assert.deepEqual([list.apiVersion, list.kind, list.metadata, list.items.length], ['v1', 'List', {}, 2]);
    assert.equal(JSON.parse(printStructured('json', [], false)).items.length, 0);
  });

  it('prints YAML that reads back as the same objects, sequences not indented', () => {
    const text = printStructured('yaml', [deployment('web')], true);
    assert.deepEqual(parse(text), JSON.parse(JSON.stringify(deployment('web'))));
    assert.match(text, /^ {6}containers:\n {6}- name: web$/m);
  });

  it('prints kind/name lines with the API group for grouped kinds', () => {
    assert.equal(printStructured('name', [pod('a'), deployment('web')], false), 'pod/a\ndeployment.apps/web\n');
  });

  it('refuses an unknown format, listing the allowed ones', () => {
    assert.throws(
      () => parseOutputFormat('xml'),
      (e: unknown) =>
        e instanceof UsageError && e.message === 'unable to match a printer suitable for the output format "xml", allowed formats are: json,name,wide,yaml',
    );
    assert.equal(parseOutputFormat(undefined), 'table');
    assert.equal(parseOutputFormat('wide'), 'wide');
  });
});
