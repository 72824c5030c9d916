// JSON patch: the examples of RFC 6902 appendix A, the "-" index, and the errors (400 for a
// malformed patch, 422 for one that does not apply), with nothing changed when any operation fails.

import assert from 'node:assert/strict';
import { applyJsonPatch, deepFreeze, parsePointer } from '@kip/controlplane';
import { throwsApi } from './api-assert.js';

describe('controlplane/api/json-patch', () => {
  const ok: [string, unknown, unknown, unknown][] = [
    ['A.1 adds an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    ['A.2 adds a list item', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['A.3 removes an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['A.4 removes a list item', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['A.5 replaces a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [
      'A.6 moves a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'A.7 moves a list item',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'A.8 tests values that match',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    ['A.10 adds a nested member', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    ['A.11 ignores members it does not know', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
    ['A.14 unescapes ~1 and ~0', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    ['A.16 adds a list as a value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    ['appends with the "-" index', { a: [1, 2] }, [{ op: 'add', path: '/a/-', value: 3 }], { a: [1, 2, 3] }],
    ['copies a value', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    ['replaces the whole document at ""', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
  ];
  for (const [name, doc, patch, want] of ok)
    it(name, () => {
      assert.deepEqual(applyJsonPatch(deepFreeze(doc), patch), want);
    });

  it('A.9 fails a test that does not match, with a 422, and changes nothing', () => {
    const doc = deepFreeze({ baz: 'qux', foo: ['a'] });
    throwsApi(
      () =>
        applyJsonPatch(doc, [
          { op: 'remove', path: '/foo' },
          { op: 'test', path: '/baz', value: 'bar' },
        ]),
      { reason: 'Invalid', code: 422, message: /testing value \/baz failed: test failed/ },
    );
    assert.deepEqual(doc, { baz: 'qux', foo: ['a'] });
  });

  it('A.12 and A.15: adding under a missing member, and a test of "10" against 10, are 422s', () => {
    throwsApi(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]), {
      reason: 'Invalid',
      code: 422,
      message: /add operation does not apply: doc is missing path: "\/baz\/bat"/,
    });
    throwsApi(() => applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]), { reason: 'Invalid', code: 422 });
  });

  it('refuses to remove or replace what is not there, an index past the end, and a test of a missing member', () => {
    throwsApi(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]), { reason: 'Invalid', code: 422, message: /missing key/ });
    throwsApi(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }]), { reason: 'Invalid', code: 422 });
    throwsApi(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 1 }]), { reason: 'Invalid', code: 422, message: /out of bounds/ });
    throwsApi(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/01', value: 1 }]), { reason: 'Invalid', code: 422 });
    throwsApi(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/b', value: null }]), { reason: 'Invalid', code: 422 });
    throwsApi(() => applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]), { reason: 'Invalid', code: 422 });
  });

  it('refuses a malformed patch with a 400: not a list, an unknown op, a missing path, value or from, a bad pointer', () => {
    throwsApi(() => applyJsonPatch({}, { op: 'add' }), { reason: 'BadRequest', code: 400, message: /list of operations/ });
    throwsApi(() => applyJsonPatch({}, [{ op: 'frob', path: '/a' }]), { reason: 'BadRequest', code: 400, message: /Unsupported value: "frob"/ });
    throwsApi(() => applyJsonPatch({}, [{ op: 'add', value: 1 }]), { reason: 'BadRequest', code: 400, message: /path: Required value/ });
    throwsApi(() => applyJsonPatch({}, [{ op: 'add', path: '/a' }]), { reason: 'BadRequest', code: 400, message: /value: Required value/ });
    throwsApi(() => applyJsonPatch({}, [{ op: 'move', path: '/a' }]), { reason: 'BadRequest', code: 400, message: /from: Required value/ });
    throwsApi(() => applyJsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]), { reason: 'BadRequest', code: 400, message: /JSON pointer/ });
  });

  it('parses pointers as RFC 6901 does', () => {
    assert.deepEqual(parsePointer(''), []);
    assert.deepEqual(parsePointer('/a~1b/~0c/0'), ['a/b', '~c', '0']);
  });
});
