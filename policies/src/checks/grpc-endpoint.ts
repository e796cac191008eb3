import { stackGuardrail } from '../core/define';
import { asArray, asRecord, at, type PlainResource } from '../core/resources';
import { isSet, peek, UNKNOWN } from '../core/unknown';

const INGRESS = 'kubernetes:networking.k8s.io/v1:Ingress';
const ALB_SCHEME = 'alb.ingress.kubernetes.io/scheme';
const ALB_WAF = 'alb.ingress.kubernetes.io/wafv2-acl-arn';
const ALB_CERT = 'alb.ingress.kubernetes.io/certificate-arn';
const ALB_BACKEND = 'alb.ingress.kubernetes.io/backend-protocol-version';
/**
 * The only gRPC service whose calls go through the admit phase (auth, rate limit); health and
 * reflection answer anyone, so they stay inside the cluster.
 */
const GUARDED_SERVICE = '/inference.GRPCInferenceService';

const annotationsOf = (r: PlainResource) => asRecord(at(r.props, 'metadata', 'annotations')) ?? {};
const isPublic = (r: PlainResource) =>
  r.type === INGRESS && annotationsOf(r)[ALB_SCHEME] === 'internet-facing';
const isGrpc = (r: PlainResource) => annotationsOf(r)[ALB_BACKEND] === 'GRPC';

function paths(r: PlainResource): { path: string; service: unknown }[] {
  return asArray(at(r.props, 'spec', 'rules')).flatMap((rule) =>
    asArray(at(rule, 'http', 'paths')).map((p) => ({
      path: String(at(p, 'path') ?? '/'),
      service: at(p, 'backend', 'service', 'name'),
    })),
  );
}

/**
 * A public gRPC endpoint is behind the same auth and WAF rules as the public REST one: the same
 * WAF ACL (the per-pod limits do not stop a flood on either door), TLS (API keys travel in
 * metadata), the same backend Service (the pods whose auth inference-auth checks), and only the
 * inference service's paths, whose every call is authenticated.
 */
export function checkGrpcEndpoint(resources: PlainResource[]): { message: string; urn: string }[] {
  const publicIngresses = resources.filter(isPublic);
  const rest = publicIngresses.filter((r) => !isGrpc(r));
  const out: { message: string; urn: string }[] = [];
  for (const g of publicIngresses.filter(isGrpc)) {
    const fail = (message: string) =>
      out.push({ urn: g.urn, message: `public gRPC Ingress ${g.name} ${message}` });
    const annotations = annotationsOf(g);
    const waf = peek(() => annotations[ALB_WAF]);
    if (!isSet(annotations, ALB_WAF)) {
      fail(`has no ${ALB_WAF} annotation: it must sit behind the REST Ingress's WAF ACL`);
    } else if (waf !== UNKNOWN) {
      for (const r of rest) {
        const restWaf = peek(() => annotationsOf(r)[ALB_WAF]);
        if (restWaf !== UNKNOWN && restWaf !== waf) {
          fail(
            `is behind WAF ACL ${String(waf)}, REST Ingress ${r.name} behind ${String(restWaf ?? 'none')}: use the same ACL`,
          );
        }
      }
    }
    if (!isSet(annotations, ALB_CERT)) {
      fail(`has no ${ALB_CERT}: API keys in gRPC metadata would cross the internet in clear text`);
    }
    const restServices = new Set(rest.flatMap(paths).map((p) => p.service));
    for (const p of paths(g)) {
      if (p.path !== GUARDED_SERVICE && !p.path.startsWith(`${GUARDED_SERVICE}/`)) {
        fail(`routes ${p.path}, outside ${GUARDED_SERVICE}: health and reflection answer without auth`);
      }
      if (rest.length > 0 && !restServices.has(p.service)) {
        fail(
          `routes to Service ${String(p.service)}, which the REST Ingress does not: the same pods must serve both`,
        );
      }
    }
  }
  return out;
}

export const grpcEndpointPolicy = stackGuardrail(
  {
    name: 'grpc-endpoint',
    description:
      'A public gRPC Ingress is behind the same WAF ACL, TLS, backend and authenticated service as the REST Ingress.',
    severity: 'high',
    enforcementLevel: 'mandatory',
    remediation:
      'Build the gRPC Ingress with infra/src/workload/exposure.ts grpcIngress, which the program gives the REST ' +
      "Ingress's WAF annotation, certificate and Service, and routes only /inference.GRPCInferenceService.",
    settings: {},
  },
  (resources) => checkGrpcEndpoint(resources),
);
