// Validates Kubernetes objects against the published schemas of kubernetes-models (core API and the
// CRDs we use). ESM because some of those packages ship only as ES modules; the jest side runs it as a
// child process: JSON array of objects on stdin, JSON array of {index, error} on stdout.
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as argo from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as karpenterAws from '@kubernetes-models/karpenter/karpenter.k8s.aws/v1';
import * as karpenter from '@kubernetes-models/karpenter/karpenter.sh/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';

const GROUPS = {
  v1: core,
  'apps/v1': apps,
  'policy/v1': policy,
  'networking.k8s.io/v1': networking,
  'autoscaling/v2': autoscaling,
  'monitoring.coreos.com/v1': monitoring,
  'argoproj.io/v1alpha1': argo,
  'keda.sh/v1alpha1': keda,
  'karpenter.sh/v1': karpenter,
  'karpenter.k8s.aws/v1': karpenterAws,
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((obj, index) => {
  const Model = GROUPS[obj.apiVersion]?.[obj.kind];
  if (typeof Model !== 'function') return { index, error: `no schema for ${obj.apiVersion}/${obj.kind}` };
  try {
    new Model(obj).validate();
    return { index, error: null };
  } catch (e) {
    return { index, error: e instanceof Error ? e.message : String(e) };
  }
});
process.stdout.write(JSON.stringify(results));
