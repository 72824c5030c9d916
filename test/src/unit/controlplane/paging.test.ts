// Chunked lists: pages of `limit` items in key order, a token that continues after the last key,
// and no object listed twice or skipped when the list changes between pages.

import assert from 'node:assert/strict';
import { ApiError, decodeContinue, pageOf, parseLimit, sortByKey } from '@kip/controlplane';
import type { KObject } from '@kip/shared';

const obj = (namespace: string, name: string): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name } }) as KObject;
const names = (items: KObject[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

describe('list paging', () => {
  const all = [obj('a', 'p1'), obj('a', 'p2'), obj('b', 'p1'), obj('b', 'p2'), obj('c', 'p1')];

  it('serves everything when no limit is asked for, or a limit of 0', () => {
    assert.deepEqual(pageOf(all, '7', {}).metadata, { resourceVersion: '7' });
    assert.equal(parseLimit('0'), undefined);
    assert.equal(parseLimit(null), undefined);
  });

  it("pages through in key order, counting what remains, keeping the first page's resourceVersion", () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = pageOf(all, pages === 0 ? '7' : '9', { limit: 2, continue: token });
      assert.equal(page.metadata.resourceVersion, '7');
      seen.push(...names(page.items));
      token = page.metadata.continue;
      if (token) assert.equal(page.metadata.remainingItemCount, all.length - seen.length);
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(seen, names(all));
  });

  it('neither repeats nor skips an unchanged object when others come and go between pages', () => {
    const first = pageOf(all, '7', { limit: 2 });
    const changed = [obj('a', 'p0'), ...all.filter((o) => o.metadata.name !== 'p2'), obj('c', 'p2')];
    const second = pageOf(changed, '8', { limit: 10, continue: first.metadata.continue });
    assert.deepEqual(names(second.items), ['b/p1', 'c/p1', 'c/p2']);
  });

  it("sorts as etcd keeps keys, byte by byte, so that a namespace's prefix does not lose the next page", () => {
    // "app-dev/..." < "app/..." because "-" < "/": namespace-then-name order would put "app" first,
    // and a page ending in "app" would skip all of "app-dev" (every key of it is below the token).
    const mixed = [obj('app', 'web-1'), obj('app-dev', 'web-1'), obj('app', 'web.2'), obj('app.v2', 'a'), obj('app-dev', 'web-10'), obj('app', 'web-2')];
    const sorted = sortByKey([...mixed]);
    assert.deepEqual(names(sorted), ['app-dev/web-1', 'app-dev/web-10', 'app.v2/a', 'app/web-1', 'app/web-2', 'app/web.2']);
    for (let limit = 1; limit <= sorted.length; limit++) {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = pageOf(sorted, '5', { limit, continue: token });
        seen.push(...names(page.items));
        token = page.metadata.continue;
      } while (token);
      assert.deepEqual(seen, names(sorted), `pages of ${limit}`);
    }
  });

  it('refuses a token it did not make, and a negative limit, as bad requests', () => {
    assert.throws(
      () => decodeContinue('not-a-token'),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
    assert.throws(() => parseLimit('-1'), /limit must be a non-negative integer/);
  });
});
