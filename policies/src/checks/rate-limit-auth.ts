import { ENV } from '@ml-platform/contract/names';
import {
  environments,
  numberSetting,
  resourceGuardrail,
  stackGuardrail,
  stringList,
  type Setting,
} from '../core/define';
import { WORKLOAD_TYPES } from '../core/k8s';
import { containers, envValue, podLabels, podSpec, selects, type Container } from '../core/k8s';
import { asArray, asRecord, at, toNumber, type PlainResource, type Props } from '../core/resources';
import { isSet } from '../core/unknown';

/** The inference workload is found by its pod labels, so sidecars and other workloads are left alone. */
export function isInferenceWorkload(resource: PlainResource, selector: Record<string, string>): boolean {
  return selects(selector, podLabels(resource));
}

export interface RateLimitSettings {
  maxRequestsPerSecond: number;
  maxBurst: number;
}

function literal(container: Container, name: string): { value?: string; fromRef: boolean } | undefined {
  const env = envValue(container, name);
  if (env === undefined) return undefined;
  return {
    value: typeof env.value === 'string' ? env.value : undefined,
    fromRef: env.valueFrom !== undefined,
  };
}

function checkLimit(c: Container, name: string, max: number, integer: boolean): string | undefined {
  const v = literal(c, name);
  if (v === undefined) return `container "${c.name}" does not set ${name}: rate limiting is off`;
  if (v.value === undefined) {
    return `container "${c.name}" takes ${name} from a reference; set it as a literal value so it can be reviewed`;
  }
  const n = toNumber(v.value);
  if (n === undefined || n <= 0 || (integer && !Number.isInteger(n))) {
    return `container "${c.name}" ${name}="${v.value}" must be a positive ${integer ? 'integer' : 'number'}`;
  }
  if (n > max) return `container "${c.name}" ${name}=${n} is above the allowed maximum ${max}`;
  return undefined;
}

/** Only the serving container carries the limits; it is the one that sets MODEL_REPOSITORY or the limits. */
function servingContainers(resource: PlainResource): Container[] {
  const cs = containers(resource);
  const marked = cs.filter((c) =>
    [ENV.RATE_LIMIT_RPS, ENV.RATE_LIMIT_BURST, ENV.MODEL_REPOSITORY, ENV.API_KEYS, ENV.API_KEYS_FILE].some(
      (n) => envValue(c, n) !== undefined,
    ),
  );
  return marked.length > 0 ? marked : cs.slice(0, 1);
}

export function checkRateLimit(resource: PlainResource, s: RateLimitSettings): string[] {
  return servingContainers(resource).flatMap((c) =>
    [
      checkLimit(c, ENV.RATE_LIMIT_RPS, s.maxRequestsPerSecond, false),
      checkLimit(c, ENV.RATE_LIMIT_BURST, s.maxBurst, true),
    ].filter((m): m is string => m !== undefined),
  );
}

function secretVolumes(spec: Props | undefined): Set<string> {
  return new Set(
    asArray(at(spec, 'volumes'))
      .map(asRecord)
      .filter(
        (v) =>
          v?.secret !== undefined || asArray(at(v, 'projected', 'sources')).some((s) => asRecord(s)?.secret),
      )
      .map((v) => String(v?.name)),
  );
}

function fileIsFromSecret(c: Container, file: string, volumes: Set<string>): boolean {
  return asArray(c.props.volumeMounts)
    .map(asRecord)
    .some((m) => {
      const mountPath = typeof m?.mountPath === 'string' ? m.mountPath.replace(/\/$/, '') : undefined;
      return mountPath !== undefined && volumes.has(String(m?.name)) && file.startsWith(`${mountPath}/`);
    });
}

/** Auth is on when API keys reach the serving container from a Secret: env secretKeyRef or a secret file. */
export function checkAuth(resource: PlainResource): string[] {
  const volumes = secretVolumes(podSpec(resource));
  return servingContainers(resource).flatMap((c) => {
    const keys = envValue(c, ENV.API_KEYS);
    const file = envValue(c, ENV.API_KEYS_FILE);
    if (keys === undefined && file === undefined) {
      return [`container "${c.name}" sets neither API_KEYS nor API_KEYS_FILE: authentication is off`];
    }
    const out: string[] = [];
    if (keys !== undefined && !isSet(asRecord(at(keys, 'valueFrom')), 'secretKeyRef')) {
      out.push(`container "${c.name}" API_KEYS is not read from a Secret (valueFrom.secretKeyRef)`);
    }
    if (file !== undefined) {
      const path = file.value;
      if (typeof path !== 'string' || !fileIsFromSecret(c, path, volumes)) {
        out.push(
          `container "${c.name}" API_KEYS_FILE=${String(path)} is not on a volume mounted from a Secret`,
        );
      }
    }
    return out;
  });
}

export interface EdgeSettings {
  edgeLimitAnnotations: string[];
}

const ALB_SCHEME = 'alb.ingress.kubernetes.io/scheme';
const ALB_WAF = 'alb.ingress.kubernetes.io/wafv2-acl-arn';
const NLB_SCHEME = 'service.beta.kubernetes.io/aws-load-balancer-scheme';

function hasRateRule(acl: PlainResource): boolean {
  return asArray(acl.props.rules).some((r) => {
    const limit = toNumber(at(r, 'statement', 'rateBasedStatement', 'limit'));
    return limit !== undefined && limit > 0;
  });
}

/** A public entry point must be rate limited at the edge too: the per-pod limit does not stop a flood. */
export function checkPublicIngress(
  resources: PlainResource[],
  s: EdgeSettings,
): { message: string; urn: string }[] {
  const rateAcls = resources.filter((r) => r.type === 'aws:wafv2/webAcl:WebAcl' && hasRateRule(r));
  const out: { message: string; urn: string }[] = [];
  for (const r of resources) {
    const annotations = asRecord(at(r.props, 'metadata', 'annotations')) ?? {};
    const edgeLimited = s.edgeLimitAnnotations.some((a) => isSet(annotations, a));
    if (
      r.type === 'kubernetes:networking.k8s.io/v1:Ingress' &&
      annotations[ALB_SCHEME] === 'internet-facing'
    ) {
      if (edgeLimited) continue;
      if (!isSet(annotations, ALB_WAF)) {
        out.push({
          urn: r.urn,
          message: `public Ingress ${r.name} has no ${ALB_WAF} annotation: no WAF rate limit`,
        });
      } else if (rateAcls.length === 0) {
        out.push({
          urn: r.urn,
          message: `public Ingress ${r.name} is behind a WAF, but no WebAcl in the stack has a rate-based rule`,
        });
      }
    }
    if (
      r.type === 'kubernetes:core/v1:Service' &&
      at(r.props, 'spec', 'type') === 'LoadBalancer' &&
      annotations[NLB_SCHEME] === 'internet-facing' &&
      !edgeLimited
    ) {
      out.push({
        urn: r.urn,
        message: `Service ${r.name} is an internet-facing load balancer, which a WAF cannot front: expose it through the Ingress`,
      });
    }
  }
  return out;
}

const INFERENCE_SELECTOR: Setting<Record<string, string>> = {
  type: 'object',
  additionalProperties: { type: 'string' },
  // The labels the stack program gives the inference pods (infra/src/workload).
  default: { 'app.kubernetes.io/name': 'inference' },
  description: 'Pod labels that mark the inference workload (a matchLabels selector).',
};

const NOT_INFERENCE = 'not the inference workload (inferenceSelector)';

export const inferenceRateLimitPolicy = resourceGuardrail(
  {
    name: 'inference-rate-limit',
    description:
      'The inference workload sets a positive RATE_LIMIT_RPS and RATE_LIMIT_BURST, no higher than the allowed maximum.',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Set ml-platform:rateLimit {requestsPerSecond, burst} within the maxima; the program passes them as env.',
    settings: {
      maxRequestsPerSecond: numberSetting(
        10_000,
        'Highest per-key requests per second a stack may configure.',
        1,
      ),
      maxBurst: numberSetting(20_000, 'Highest per-key burst a stack may configure.', 1),
      inferenceSelector: INFERENCE_SELECTOR,
    },
  },
  WORKLOAD_TYPES,
  (workload, { settings, notApplicable }) => {
    if (!isInferenceWorkload(workload, settings.inferenceSelector)) notApplicable(NOT_INFERENCE);
    return checkRateLimit(workload, settings);
  },
);

export const inferenceAuthPolicy = resourceGuardrail(
  {
    name: 'inference-auth',
    description:
      'Outside dev, the inference workload requires API keys, and the keys come from a Kubernetes Secret.',
    severity: 'critical',
    enforcementLevel: 'mandatory',
    remediation:
      'Set ml-platform:service.auth to true; the program mounts the API keys Secret and sets API_KEYS_FILE.',
    settings: {
      authOptionalEnvironments: environments(['dev'], 'Environments where auth may be off.'),
      inferenceSelector: INFERENCE_SELECTOR,
    },
  },
  WORKLOAD_TYPES,
  (workload, { settings, context: ctx, notApplicable }) => {
    if (!isInferenceWorkload(workload, settings.inferenceSelector)) notApplicable(NOT_INFERENCE);
    const env = ctx().config.environment;
    if (settings.authOptionalEnvironments.includes(env)) notApplicable(`auth is optional in ${env}`);
    return checkAuth(workload);
  },
);

export const publicIngressWafPolicy = stackGuardrail(
  {
    name: 'public-ingress-waf',
    description:
      'An internet-facing Ingress sits behind a WAF web ACL with a rate-based rule (or an accepted edge limit).',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Set ml-platform:ingress.wafRateLimitPer5Min, or make the ingress internal (ingress.scheme: internal).',
    settings: {
      edgeLimitAnnotations: stringList(
        [],
        'Ingress/Service annotations that stand for an equivalent edge rate limit (e.g. a CDN in front).',
      ),
    },
  },
  (resources, { settings }) => checkPublicIngress(resources, settings),
);
