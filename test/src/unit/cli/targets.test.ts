import assert from 'node:assert/strict';
import { CliError, UsageError } from '@kip/scripts';
import { kindPrefix, parseTargets, qualifiedPlural, resolveType } from '@kip/scripts';

const kinds = (args: string[]) => parseTargets(args, 'get').targets.map((t) => [t.resource.kind, t.names]);

describe('cli resource names', () => {
  const resolved: [string, string][] = [
    ['pods', 'Pod'],
    ['po', 'Pod'],
    ['pod', 'Pod'],
    ['Pod', 'Pod'],
    ['no', 'Node'],
    ['deploy', 'Deployment'],
    ['deployments.apps', 'Deployment'],
    ['rs', 'ReplicaSet'],
    ['ev', 'Event'],
    ['svc', 'Service'],
    ['ep', 'Endpoints'],
  ];
  for (const [typed, kind] of resolved) it(`resolves "${typed}" to ${kind}`, () => assert.equal(resolveType(typed).kind, kind));

  it('refuses a type the server does not have, as kubectl words it', () => {
    assert.throws(
      () => resolveType('widgets'),
      (e: unknown) => e instanceof CliError && e.message === 'the server doesn\'t have a resource type "widgets"',
    );
  });

  it('reads TYPE NAME..., TYPE/NAME..., comma lists and all', () => {
    assert.deepEqual(kinds(['pods']), [['Pod', []]]);
    assert.deepEqual(kinds(['pod', 'a', 'b']), [['Pod', ['a', 'b']]]);
    assert.deepEqual(kinds(['deploy,rs']), [
      ['Deployment', []],
      ['ReplicaSet', []],
    ]);
    assert.deepEqual(kinds(['pods/a', 'deploy/web', 'po/b']), [
      ['Pod', ['a', 'b']],
      ['Deployment', ['web']],
    ]);
    assert.deepEqual(
      kinds(['all']).map(([k]) => k),
      ['Pod', 'Service', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet', 'CronJob', 'Job'],
    );
    assert.equal(parseTargets(['all'], 'get').all, true);
  });

  it('refuses a type/name mixed with a bare name', () => {
    assert.throws(() => parseTargets(['pods/a', 'b'], 'get'), UsageError);
    assert.throws(() => parseTargets(['pods', 'deploy/b'], 'get'), UsageError);
    assert.throws(() => parseTargets(['pods/'], 'get'), /single resource and name/);
  });

  it('names kinds as kubectl prints them', () => {
    assert.equal(kindPrefix(resolveType('deploy')), 'deployment.apps');
    assert.equal(kindPrefix(resolveType('po')), 'pod');
    assert.equal(qualifiedPlural(resolveType('rs')), 'replicasets.apps');
  });
});
