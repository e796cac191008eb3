import { goodStack, lines, resource, runPack } from './support/stack';
import type { PlainResource } from '../src/core/resources';

const WAF = 'arn:aws:wafv2:us-east-1:1:regional/webacl/x';
const CERT = 'arn:aws:acm:us-east-1:1:certificate/c';

function ingress(
  name: string,
  annotations: Record<string, string>,
  path: string,
  service = 'inference',
): PlainResource {
  return resource('kubernetes:networking.k8s.io/v1:Ingress', name, {
    metadata: {
      name,
      namespace: 'inference',
      annotations: { 'alb.ingress.kubernetes.io/scheme': 'internet-facing', ...annotations },
    },
    spec: {
      rules: [{ http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service } } }] } }],
    },
  });
}

const rest = (waf = WAF) =>
  ingress(
    'inference',
    { 'alb.ingress.kubernetes.io/wafv2-acl-arn': waf, 'alb.ingress.kubernetes.io/certificate-arn': CERT },
    '/v2',
  );
const grpcAnnotations = {
  'alb.ingress.kubernetes.io/backend-protocol-version': 'GRPC',
  'alb.ingress.kubernetes.io/wafv2-acl-arn': WAF,
  'alb.ingress.kubernetes.io/certificate-arn': CERT,
};
const grpc = (
  over: Record<string, string> = {},
  path = '/inference.GRPCInferenceService',
  service?: string,
) => ingress('inference-grpc', { ...grpcAnnotations, ...over }, path, service);

async function violations(resources: PlainResource[]): Promise<string[]> {
  return lines(await runPack(resources)).filter((l) => l.startsWith('grpc-endpoint: '));
}

describe('grpc-endpoint (stack policy)', () => {
  it("accepts a gRPC Ingress with the REST Ingress's WAF ACL, certificate and Service", async () => {
    expect(await violations([...goodStack(), rest(), grpc()])).toEqual([]);
  });

  it('rejects a gRPC Ingress without the WAF, or behind another ACL than REST', async () => {
    const { 'alb.ingress.kubernetes.io/wafv2-acl-arn': _, ...noWaf } = grpcAnnotations;
    const bare = ingress('inference-grpc', noWaf, '/inference.GRPCInferenceService');
    expect(await violations([...goodStack(), rest(), bare])).toEqual([
      "grpc-endpoint: public gRPC Ingress inference-grpc has no alb.ingress.kubernetes.io/wafv2-acl-arn annotation: it must sit behind the REST Ingress's WAF ACL",
    ]);
    expect(await violations([...goodStack(), rest('arn:other'), grpc()])).toEqual([
      `grpc-endpoint: public gRPC Ingress inference-grpc is behind WAF ACL ${WAF}, REST Ingress inference behind arn:other: use the same ACL`,
    ]);
  });

  it('rejects a gRPC Ingress without TLS, exposing health or reflection, or on other pods', async () => {
    const noTls = grpc({ 'alb.ingress.kubernetes.io/certificate-arn': '' });
    expect(await violations([...goodStack(), rest(), noTls])).toEqual([
      'grpc-endpoint: public gRPC Ingress inference-grpc has no alb.ingress.kubernetes.io/certificate-arn: API keys in gRPC metadata would cross the internet in clear text',
    ]);
    expect(await violations([...goodStack(), rest(), grpc({}, '/')])).toEqual([
      'grpc-endpoint: public gRPC Ingress inference-grpc routes /, outside /inference.GRPCInferenceService: health and reflection answer without auth',
    ]);
    expect(
      await violations([...goodStack(), rest(), grpc({}, '/grpc.reflection.v1.ServerReflection')]),
    ).toHaveLength(1);
    expect(
      await violations([...goodStack(), rest(), grpc({}, '/inference.GRPCInferenceService', 'other')]),
    ).toEqual([
      'grpc-endpoint: public gRPC Ingress inference-grpc routes to Service other, which the REST Ingress does not: the same pods must serve both',
    ]);
  });

  it('leaves internal and REST-only ingresses alone', async () => {
    const internal = grpc(
      { 'alb.ingress.kubernetes.io/scheme': 'internal', 'alb.ingress.kubernetes.io/wafv2-acl-arn': '' },
      '/',
    );
    expect(await violations([...goodStack(), rest(), internal])).toEqual([]);
    expect(await violations([...goodStack(), rest()])).toEqual([]);
  });
});
