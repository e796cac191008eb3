/**
 * The HTTP ceilings for `npm run bench`: the cheapest server that does what an inference request
 * needs from HTTP (read the body, parse the JSON, answer), on raw node:http or on Express.
 *
 *   node -r tsx/cjs service/bench/ceiling-server.ts http|express
 *
 * Listens on an ephemeral loopback port and prints it as `{"port": N}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const ANSWER = Buffer.from(
  JSON.stringify({
    model_name: 'constant',
    model_version: '1',
    outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }],
  }),
);

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

function nodeHttp(): http.Server {
  return http.createServer((req, res) => {
    readJson(req).then(
      () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
        res.end(ANSWER);
      },
      () => {
        res.writeHead(400);
        res.end();
      },
    );
  });
}

function expressApp(): http.Server {
  const app = express();
  app.use(express.json({ limit: '16mb' }));
  app.post('/v2/models/:model/infer', (_req, res) => {
    res.type('application/json').send(ANSWER);
  });
  return http.createServer(app);
}

const mode = process.argv[2];
if (mode !== 'http' && mode !== 'express') throw new Error('usage: ceiling-server.ts http|express');
const server = mode === 'http' ? nodeHttp() : expressApp();
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
