import type { KubeApiserver, KubeResponse } from '../support/kube-apiserver';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** What a failed request said: the Status message when there is one, else the raw body. */
export function failure(res: KubeResponse): string {
  try {
    const status = JSON.parse(res.body) as { message?: string };
    if (status.message) return `${res.status} ${status.message}`;
  } catch {
    // not a Status object; the body says it
  }
  return `${res.status} ${res.body.slice(0, 500)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Discovery, apply and create over a KubeApiserver's HTTPS, as kubectl does them. */
export class KubeApi {
  constructor(private readonly server: KubeApiserver) {}

  /** The resource serving `kind`, waiting for it to appear (a new CRD takes a moment to be served). */
  async resource(apiVersion: string, kind: string, timeoutMs = 30_000): Promise<ApiResource> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.server.request(
        'GET',
        apiVersion.includes('/') ? `/apis/${apiVersion}` : '/api/v1',
      );
      if (res.status === 200) {
        const list = JSON.parse(res.body) as { resources: ApiResource[] };
        const found = list.resources.find((r) => r.kind === kind && !r.name.includes('/'));
        if (found) return found;
      }
      if (Date.now() > deadline) throw new Error(`${apiVersion} ${kind} is not served: ${failure(res)}`);
      await sleep(250);
    }
  }

  /** The collection path of `obj`'s resource, in its namespace when it is namespaced. */
  async collectionPath(obj: KubeObject): Promise<string> {
    const r = await this.resource(obj.apiVersion, obj.kind);
    const group = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : '/api/v1';
    const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${group}${ns}/${r.name}`;
  }

  /**
   * `kubectl apply --server-side --dry-run=server --validate=strict` of the manifest as written: the
   * server reads the YAML itself, so it is read the way kubectl reads it.
   */
  async dryRunApply(obj: KubeObject, yamlText: string): Promise<KubeResponse> {
    const path = `${await this.collectionPath(obj)}/${encodeURIComponent(obj.metadata.name)}`;
    const query = 'dryRun=All&fieldValidation=Strict&fieldManager=ml-platform-test&force=true';
    return this.server.request('PATCH', `${path}?${query}`, {
      text: yamlText,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** Creates `obj`, for real or (`dryRun`) only through validation and admission. */
  async create(obj: KubeObject, dryRun: boolean): Promise<KubeResponse> {
    const query = `fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
    return this.server.request('POST', `${await this.collectionPath(obj)}?${query}`, {
      text: JSON.stringify(obj),
      contentType: 'application/json',
    });
  }

  /** Creates `obj` for real; throws with the server's message unless it was created. */
  async mustCreate(obj: KubeObject): Promise<void> {
    const res = await this.create(obj, false);
    if (res.status !== 201) throw new Error(`creating ${obj.kind} ${obj.metadata.name}: ${failure(res)}`);
  }

  /** Waits until the CustomResourceDefinition `name` is Established, so its kind can be served. */
  async waitEstablished(name: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.server.request(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      const conditions =
        res.status === 200
          ? ((JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } }).status
              ?.conditions ?? [])
          : [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
      if (Date.now() > deadline)
        throw new Error(`CRD ${name} not Established: ${JSON.stringify(conditions)}`);
      await sleep(250);
    }
  }
}
