// The etcd store's tests run a real etcd (Debian's etcd-server, which .ci/run installs), as the
// kubectl tests run the real kubectl: without it they fail, saying what to install, rather than
// pass by skipping.

import { etcdInstalled } from '@kip/scripts';

export function requireEtcd(): void {
  if (!etcdInstalled()) throw new Error('etcd is not installed: these tests run a real etcd; install it with apt-get install -y etcd-server');
}
