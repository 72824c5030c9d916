// Asserting on ApiErrors: the reason, the HTTP code, and what the message and causes name.

import assert from 'node:assert/strict';
import { ApiError, type ApiReason } from '@kip/controlplane';

export interface Expected {
  reason: ApiReason;
  code: number;
  message?: RegExp;
  /** every cause expected, as [field, message pattern] */
  causes?: [string, RegExp][];
}

export function throwsApi(fn: () => unknown, want: Expected): ApiError {
  let caught: ApiError | undefined;
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `an ApiError, got ${String(err)}`);
    caught = err;
    return true;
  });
  checkApiError(caught!, want);
  return caught!;
}

export function checkApiError(err: ApiError, want: Expected): void {
  assert.equal(err.reason, want.reason, err.message);
  assert.equal(err.code, want.code, err.message);
  if (want.message) assert.match(err.message, want.message);
  if (want.causes) {
    const causes = err.details?.causes ?? [];
    assert.equal(causes.length, want.causes.length, JSON.stringify(causes));
    want.causes.forEach(([field, message], i) => {
      assert.equal(causes[i]!.field, field, JSON.stringify(causes));
      assert.match(causes[i]!.message, message);
      assert.equal(causes[i]!.reason, 'FieldValueInvalid');
    });
  }
}
