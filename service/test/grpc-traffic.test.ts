import { OipClient } from './grpc-support';
import { breastCancerRequest, patchedModelService, postJson } from './http-support';

/** Traffic routing reads the A/B key from gRPC metadata as it reads REST's header. */
describe('traffic routing over gRPC', () => {
  const service = patchedModelService(
    'breast-cancer',
    {
      cache: { enabled: false, ttl_seconds: 60 },
      traffic: {
        stable: '1',
        ab: {
          key_header: 'x-experiment-key',
          variants: [
            { name: 'control', version: '1', weight_pct: 50 },
            { name: 'treatment', version: '2', weight_pct: 50 },
          ],
        },
      },
    },
    async () => ({ GRPC_PORT: 'ephemeral' }),
  );
  const request = {
    model_name: 'breast-cancer',
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [1, 30],
        contents: { fp32_contents: breastCancerRequest().inputs[0].data },
      },
    ],
  };

  it('serves stable without a key, and a key on the same variant as REST does', async () => {
    const client = new OipClient(`127.0.0.1:${service.svc.grpcPort}`);
    try {
      const plain = await client.call('ModelInfer', request);
      expect(plain.response?.model_version).toBe('1');
      expect(plain.trailers['x-model-variant']).toBe('stable');
      const versions = new Set<string>();
      for (let i = 0; i < 16; i++) {
        const key = `user-${i}`;
        const viaGrpc = await client.call('ModelInfer', request, { 'x-experiment-key': key });
        const viaRest = await postJson(
          `${service.svc.url}/v2/models/breast-cancer/infer`,
          breastCancerRequest(),
          { 'x-experiment-key': key },
        );
        expect(viaGrpc.response?.model_version).toBe(viaRest.json.model_version);
        expect(viaGrpc.trailers['x-model-variant']).toBe(viaRest.headers.get('x-model-variant'));
        versions.add(viaGrpc.response?.model_version as string);
      }
      expect(versions).toEqual(new Set(['1', '2']));
      const pinned = await client.call(
        'ModelInfer',
        { ...request, model_version: '2' },
        { 'x-experiment-key': 'user-0' },
      );
      expect(pinned.trailers['x-model-variant']).toBe('explicit');
    } finally {
      client.close();
    }
  });
});
