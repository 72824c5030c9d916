// A Status is made from what the client sent (an object's name), and must serialize whatever that
// was: an answer that cannot be written fails after the request already failed, where nothing
// catches it.

import assert from 'node:assert/strict';
import { ApiError, invalid } from '@kip/controlplane';

function deep(levels: number, asArray: boolean): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = asArray ? [v] : { a: v };
  return v;
}

describe('controlplane/api/errors', () => {
  for (const asArray of [false, true])
    it(`an invalid object whose name is ${asArray ? 'an array' : 'an object'} 100000 levels deep gets a Status that serializes`, () => {
      const err = invalid('Pod', deep(100_000, asArray) as string, [{ field: 'metadata.name', message: 'must be a string' }]);
      const status = JSON.parse(JSON.stringify(err.toStatus()));
      assert.equal(status.code, 400);
      assert.equal(status.message, 'Pod "<unnamed>" is invalid: metadata.name: must be a string');
      assert.deepEqual(status.details, {
        name: '',
        kind: 'pod',
        causes: [{ field: 'metadata.name', message: 'must be a string', reason: 'FieldValueInvalid' }],
      });
    });

  it('keeps only the string details of an error made elsewhere', () => {
    const err = new ApiError('NotFound', 'x', {
      name: deep(100_000, false) as string,
      kind: 'pods',
      causes: [{ field: deep(10, true) as string, message: 'm' }],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(err.toStatus())).details, { kind: 'pods', causes: [{ message: 'm' }] });
  });
});
