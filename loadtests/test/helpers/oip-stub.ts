import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test scaffolding: a minimal Open Inference Protocol endpoint on 127.0.0.1 (one FP32[-1,30] model)
 * whose latency and failures a test controls. It is the load target, not code under test.
 */
export interface StubBehaviour {
  delayMs?: number;
  /** Status for every infer call (default 200). */
  status?: number;
  /** Answer 200 with a body that lacks outputs. */
  emptyOutputs?: boolean;
}

export interface OipStub {
  url: string;
  infers: number;
  invalidPayloads: number;
  close(): Promise<void>;
}

const METADATA = {
  name: 'breast-cancer',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
};

function validPayload(text: string): boolean {
  try {
    const body = JSON.parse(text) as {
      inputs?: Array<{ name: string; shape: number[]; datatype: string; data: unknown[] }>;
    };
    const input = body.inputs?.[0];
    return (
      input?.name === 'input' &&
      input.datatype === 'FP32' &&
      JSON.stringify(input.shape) === '[1,30]' &&
      input.data.length === 30 &&
      input.data.every((v) => typeof v === 'number')
    );
  } catch {
    return false;
  }
}

export async function startOipStub(behaviour: StubBehaviour = {}): Promise<OipStub> {
  const stub = { infers: 0, invalidPayloads: 0 };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v2/health/ready') return send(res, 200, {});
      if (req.method === 'POST' && req.url === '/v2/repository/index') {
        return send(res, 200, [{ name: 'breast-cancer', version: '1', state: 'READY' }]);
      }
      if (req.method === 'GET' && req.url === '/v2/models/breast-cancer') return send(res, 200, METADATA);
      if (req.method === 'POST' && req.url === '/v2/models/breast-cancer/infer') {
        stub.infers++;
        if (!validPayload(text)) {
          stub.invalidPayloads++;
          return send(res, 400, { error: 'invalid payload' });
        }
        const status = behaviour.status ?? 200;
        const body =
          status !== 200
            ? { error: 'injected failure' }
            : behaviour.emptyOutputs
              ? { model_name: 'breast-cancer', outputs: [] }
              : {
                  model_name: 'breast-cancer',
                  model_version: '1',
                  outputs: [{ name: 'probabilities', shape: [1, 2], datatype: 'FP32', data: [0.3, 0.7] }],
                };
        setTimeout(() => send(res, status, body), behaviour.delayMs ?? 0);
        return;
      }
      send(res, 404, { error: `no route ${req.method} ${req.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
