// The kip API client as tests use it: requests in, status code and parsed body out, so a test can
// assert on refusals as well as act as a user would and read the cluster's state.

import { ApiClient, collectionPath, objectPath, readKubeconfig, resolveResource, type KObject, type List } from '@kip/shared';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export class TestApi {
  readonly client: ApiClient;

  constructor(
    readonly url: string,
    credentials: { token?: string; ca?: string } = {},
  ) {
    this.client = new ApiClient({ server: url, userAgent: 'kip-test', ...credentials });
  }

  /** A client with the admin credentials of the kubeconfig a control plane wrote. */
  static fromKubeconfig(file: string, url?: string): TestApi {
    const kc = readKubeconfig(file);
    return new TestApi(url ?? kc.server, { ...(kc.token ? { token: kc.token } : {}), ...(kc.caPem ? { ca: kc.caPem } : {}) });
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse<T>> {
    const res = await this.client.raw(method, path, body === undefined ? {} : { body, contentType });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // plain text (logs)
    }
    return { status: res.status, body: parsed as T };
  }

  private path(type: string, namespace?: string, name?: string): string {
    const r = resolveResource(type);
    if (!r) throw new Error(`unknown resource type ${type}`);
    return name === undefined ? collectionPath(r, namespace) : objectPath(r, namespace, name);
  }

  async list<T extends KObject>(type: string, opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {}): Promise<T[]> {
    const q = new URLSearchParams();
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
    const res = await this.request<List<T>>('GET', `${this.path(type, opts.namespace)}${q.size ? `?${q}` : ''}`);
    if (res.status !== 200) throw new Error(`list ${type}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.items;
  }

  async get<T extends KObject>(type: string, name: string, namespace = 'default'): Promise<T | undefined> {
    const res = await this.request<T>('GET', this.path(type, namespace, name));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`get ${type}/${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async create<T extends KObject>(obj: KObject, namespace = 'default'): Promise<T> {
    const res = await this.request<T>('POST', this.path(obj.kind, namespace), obj);
    if (res.status !== 201) throw new Error(`create ${obj.kind}/${obj.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async patch<T extends KObject>(type: string, name: string, patch: unknown, namespace = 'default'): Promise<T> {
    const res = await this.request<T>('PATCH', this.path(type, namespace, name), patch, 'application/merge-patch+json');
    if (res.status !== 200) throw new Error(`patch ${type}/${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async delete(type: string, name: string, namespace = 'default', gracePeriodSeconds?: number): Promise<ApiResponse> {
    const q = gracePeriodSeconds === undefined ? '' : `?gracePeriodSeconds=${gracePeriodSeconds}`;
    return this.request('DELETE', this.path(type, namespace, name) + q);
  }
}
