import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config/env';
import { createLogger } from '../src/observability/logger';
import { startService } from '../src/service';
import { startServiceProcess, waitReady } from '../../test/support/service-process';
import { breastCancerRequest, postJson, tempRepository } from './http-support';

/** Log lines as parsed JSON, captured from the real pino logger. */
function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { lines, raw, stream };
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

describe('logs', () => {
  it('redacts credential headers wherever a header object is logged', () => {
    const { raw, stream } = captureLogs();
    const logger = createLogger('info', stream);
    logger.info(
      { headers: { authorization: 'Bearer sk-live-1', 'x-api-key': 'sk-live-2', accept: '*/*' } },
      'x',
    );
    logger.info({ req: { headers: { authorization: 'Bearer sk-live-3', cookie: 'sid=sk-live-4' } } }, 'y');
    expect(raw.join('\n')).not.toMatch(/sk-live/);
    expect(raw[0]).toContain('"authorization":"[redacted]"');
    expect(raw[0]).toContain('"accept":"*/*"');
  });

  it('writes JSON lines with the request id and trace id, never the credentials sent', async () => {
    const { lines, raw, stream } = captureLogs();
    const repo = tempRepository(['breast-cancer-lite']);
    const config = loadConfig({ PORT: '0', GRPC_PORT: '0', MODEL_REPOSITORY: repo.dir });
    const svc = await startService(config, { logger: createLogger('debug', stream) });
    try {
      await svc.loaded;
      const url = `http://127.0.0.1:${svc.address.port}/v2/models/breast-cancer-lite/infer`;
      const secret = { authorization: 'Bearer sk-secret-a', 'x-api-key': 'sk-secret-b' };
      await postJson(url, '{"inputs": [', {
        ...secret,
        'x-request-id': 'log-bad-1',
        traceparent: TRACEPARENT,
      });
      await postJson(url, breastCancerRequest(), { ...secret, 'x-request-id': 'log-ok-1' });
      const bad = lines.find((l) => l.requestId === 'log-bad-1');
      expect(bad).toMatchObject({ msg: 'inference rejected', status: 400, traceId: TRACE_ID, level: 30 });
      expect(bad!.error).toMatch(/not valid JSON/);
      expect(lines.find((l) => l.requestId === 'log-ok-1')).toMatchObject({ msg: 'inference', status: 200 });
      expect(raw.join('\n')).not.toMatch(/sk-secret/);
    } finally {
      await svc.stop(5000);
      repo.remove();
    }
  }, 60_000);
});

describe('OpenTelemetry tracing', () => {
  it('exports a server span in the caller trace (traceparent) to the OTLP endpoint', async () => {
    const received: { path: string; body: Buffer }[] = [];
    const collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    // A real process: the OTLP exporter loads parts of itself with dynamic import(), which jest's VM refuses.
    const repo = tempRepository(['breast-cancer-lite']);
    const svc = await startServiceProcess({
      MODEL_REPOSITORY: repo.dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    });
    try {
      await waitReady(svc);
      const res = await postJson(`${svc.url}/v2/models/breast-cancer-lite/infer`, breastCancerRequest(), {
        traceparent: TRACEPARENT,
      });
      expect(res.status).toBe(200);
      expect(await svc.stop('SIGTERM')).toBe(0); // the drain flushes the batch span processor
      const traces = received.filter((r) => r.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      const body = Buffer.concat(traces.map((t) => t.body));
      expect(body.includes(TRACE_ID) || body.includes(Buffer.from(TRACE_ID, 'hex'))).toBe(true);
      expect(body.includes('POST /v2/models/{model}/infer')).toBe(true);
    } finally {
      await svc.stop('SIGKILL');
      collector.close();
      repo.remove();
    }
  }, 60_000);
});
