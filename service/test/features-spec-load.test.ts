import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config/env';
import { createLogger } from '../src/observability/logger';
import { startService, type RunningService } from '../src/service';
import { postJson, tempRepository } from './http-support';

/** A features.json that does not fit its model is refused when the model loads, not at the first /predict. */
describe('features.json checked against the ONNX signature at load', () => {
  let repo: ReturnType<typeof tempRepository>;
  let service: RunningService;
  const lines: string[] = [];

  beforeAll(async () => {
    repo = tempRepository(['flights-delay']);
    const file = path.join(repo.dir, 'flights-delay/features.json');
    const spec = JSON.parse(readFileSync(file, 'utf8'));
    spec.inputs[0].features = spec.inputs[0].features.filter((f: string) => f !== 'delay_gap');
    spec.inputs[0].shape = [-1, 101]; // consistent in itself, but not with the model
    writeFileSync(file, JSON.stringify(spec));
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    service = await startService(
      loadConfig({ PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', MODEL_REPOSITORY: repo.dir }),
      {
        logger: createLogger('info', sink),
      },
    );
    await service.loaded;
    await new Promise((r) => setImmediate(r));
  }, 60_000);
  afterAll(async () => {
    await service?.stop(5000);
    repo?.remove();
  });

  it('logs the mismatch at start-up and does not serve /predict with it', async () => {
    const rejected = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'features.json rejected');
    expect(rejected?.model).toBe('flights-delay');
    expect(rejected?.err.message).toBe(
      "flights-delay/features.json: input 'input' has 101 columns, the model wants shape [-1, 102]",
    );
    const res = await postJson(`http://127.0.0.1:${service.address.port}/v2/models/flights-delay/predict`, {
      records: [{ date: '2001-03-31T06:00:00Z', distance: 500, origin: 'SFO', destination: 'LAX' }],
    });
    expect(res.status).toBe(500);
  });
});
