/**
 * Every rendered manifest of every stack against a real kube-apiserver (v1.33, built by
 * test/kube/build-kube-apiserver.sh) on a real etcd: server-side dry-run apply of the YAML as written,
 * with strict field validation and the operators' own CRDs (so their CEL rules run too), and every
 * pod template admitted under the `restricted` Pod Security Standard, waivers excepted.
 */
import { listStacks } from '@ml-platform/stack-config';
import { parse } from 'yaml';
import { CHARTS } from '@ml-platform/infra/charts';
import { renderManifests, synthStack } from '@ml-platform/infra/synth';
import { describeUnless } from '../support/describe-unless';
import { KubeApiserver, kubeApiserverUnavailableReason } from '../support/kube-apiserver';
import { KubeApi, failure, type KubeObject } from './api';
import { CRD_SOURCES, UNCHECKED_KINDS, loadCrds } from './crd-sources';
import { POD_SECURITY_WAIVERS, podOf, workloadId, type PodSecurityLevel } from './pod-security';

interface Manifest {
  file: string;
  text: string;
  obj: KubeObject;
}

const stacks = listStacks();
const typeOf = (obj: KubeObject) => `${obj.apiVersion}/${obj.kind}`;
/** A namespace per waiver level, where waived pods must still be admitted. */
const levelNamespace = (level: PodSecurityLevel) => `psa-${level}`;

const namespaceObject = (name: string, level: PodSecurityLevel): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': level } },
});

describeUnless(kubeApiserverUnavailableReason(), 'rendered manifests on a real kube-apiserver', () => {
  let server: KubeApiserver | undefined;
  let api: KubeApi;
  const manifests = new Map<string, Manifest[]>();
  const all = () => [...manifests.values()].flat();

  beforeAll(async () => {
    for (const stack of stacks) {
      const files = renderManifests((await synthStack(stack)).resources);
      // Read as kubectl reads them (YAML 1.1), only to learn where each one goes.
      manifests.set(
        stack,
        [...files].map(([file, text]) => ({
          file,
          text,
          obj: parse(text, { version: '1.1' }) as KubeObject,
        })),
      );
    }
    const crds = loadCrds();
    server = await KubeApiserver.start();
    api = new KubeApi(server);
    for (const crd of crds) await api.mustCreate(crd);
    for (const crd of crds) await api.waitEstablished(crd.metadata.name);
    // Namespaced objects are admitted only into namespaces that exist; every one enforces `restricted`.
    const namespaces = new Set(
      all().flatMap(({ obj }) => (obj.metadata.namespace ? [obj.metadata.namespace] : [])),
    );
    for (const ns of namespaces) await api.mustCreate(namespaceObject(ns, 'restricted'));
    for (const level of ['baseline', 'privileged'] as const)
      await api.mustCreate(namespaceObject(levelNamespace(level), level));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it('takes each CRD from the release its pinned chart installs', () => {
    for (const source of CRD_SOURCES)
      expect(`${source.chart} ${CHARTS[source.chart].version}`).toBe(
        `${source.chart} ${source.chartVersion}`,
      );
  });

  it('rejects an unknown field, a CRD CEL rule violation and a privileged pod (the checks are live)', async () => {
    const deployment = all().find(({ obj }) => obj.kind === 'Deployment')!.obj;
    const typo = { ...deployment, spec: { ...(deployment.spec as object), replicaz: 2 } };
    // Apply answers a field outside the schema with a 500 (upstream's status code, not a crash).
    expect(failure(await api.dryRunApply(typo, JSON.stringify(typo)))).toMatch(
      /^500 .*\.spec\.replicaz: field not declared in schema/,
    );
    expect(failure(await api.create(typo, true))).toMatch(/^400 .*unknown field "spec\.replicaz"/);

    type NodePool = KubeObject & { spec: { template: { spec: { requirements: unknown[] } } } };
    const emptyIn = structuredClone(all().find(({ obj }) => obj.kind === 'NodePool')!.obj) as NodePool;
    emptyIn.spec.template.spec.requirements.push({
      key: 'karpenter.sh/capacity-type',
      operator: 'In',
      values: [],
    });
    const cel = await api.dryRunApply(emptyIn, JSON.stringify(emptyIn));
    expect(failure(cel)).toMatch(/^422 .*requirements with operator 'In' must have a value defined/);

    const pod = podOf(deployment)!;
    const root = {
      ...pod,
      spec: { containers: [{ name: 'x', image: 'x', securityContext: { privileged: true } }] },
    };
    expect(failure(await api.create(root, true))).toMatch(/^403 .*violates PodSecurity "restricted:latest"/);
  });

  describe.each(stacks)('stack %s', (stack) => {
    it('passes server-side dry-run apply with strict field validation', async () => {
      const rejected: string[] = [];
      for (const { file, text, obj } of manifests.get(stack)!) {
        if (UNCHECKED_KINDS[typeOf(obj)]) continue;
        const res = await api.dryRunApply(obj, text);
        // Pod Security only warns on workloads; their pods are admitted (or not) in the next test.
        const warnings = res.warnings.filter((w) => !w.includes('would violate PodSecurity'));
        if (res.status !== 200 && res.status !== 201) rejected.push(`${file}: ${failure(res)}`);
        else if (warnings.length > 0) rejected.push(`${file}: warned ${warnings.join('; ')}`);
      }
      expect(rejected).toEqual([]);
    });

    it('admits every pod template under Pod Security "restricted", waivers excepted', async () => {
      const refused: string[] = [];
      const waivedButAdmitted: string[] = [];
      for (const { obj } of manifests.get(stack)!) {
        const pod = podOf(obj);
        if (!pod) continue;
        const id = workloadId(obj);
        const res = await api.create(pod, true);
        const waiver = POD_SECURITY_WAIVERS[id];
        if (!waiver) {
          if (res.status !== 201) refused.push(`${id}: ${failure(res)}`);
          continue;
        }
        if (res.status === 201) waivedButAdmitted.push(id);
        const atLevel = await api.create(podOf(obj, levelNamespace(waiver.level))!, true);
        if (atLevel.status !== 201) refused.push(`${id} (waived to ${waiver.level}): ${failure(atLevel)}`);
      }
      expect(refused).toEqual([]);
      expect(waivedButAdmitted).toEqual([]);
    });
  });

  it('waives only workloads that some stack declares, and checks all kinds but the documented ones', () => {
    const ids = new Set(all().map(({ obj }) => workloadId(obj)));
    expect(Object.keys(POD_SECURITY_WAIVERS).filter((id) => !ids.has(id))).toEqual([]);
    const unchecked = new Set(
      all()
        .map(({ obj }) => typeOf(obj))
        .filter((t) => UNCHECKED_KINDS[t]),
    );
    expect([...unchecked].sort()).toEqual(Object.keys(UNCHECKED_KINDS).sort());
  });
});
