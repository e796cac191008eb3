/**
 * A bare node:http server that reads and parses the request like ceiling-server.ts and answers the
 * classifier's response with the service's headers, written one of two ways:
 *
 *   set-header   four setHeader calls, then writeHead(200, {content-type, content-length})
 *   array        writeHead(200, [name, value, ...]) with the same six headers, as the service does
 *   json-buffer  array, encoding the answer per request as a Buffer: Buffer.from(JSON.stringify(...))
 *   json-string  array, encoding it per request as a string, its length from Buffer.byteLength:
 *                node then sends the head and a string body in one write (http/infer-handler.ts)
 *
 *   node -r tsx/cjs service/bench/response-head-server.ts set-header|array
 *
 * Listens on an ephemeral loopback port and prints it as `{"port": N}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const ANSWER = {
  model_name: 'breast-cancer',
  model_version: '1',
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [1], data: [1] },
    {
      name: 'probabilities',
      datatype: 'FP32',
      shape: [1, 2],
      data: [0.012345678918063641, 0.987654328346252],
    },
  ],
};
const BODY = Buffer.from(JSON.stringify(ANSWER));
const LENGTH = String(BODY.length);
const ID = 'c5a7d3e2-8f41-4b6a-9e0d-2f7c1b3a4d5e';

const headList = (length: string) => [
  'x-request-id',
  ID,
  'x-model-variant',
  'stable',
  'x-cache',
  'bypass',
  'x-served-by',
  'primary',
  'content-type',
  'application/json',
  'content-length',
  length,
];

const answers: Record<string, (res: http.ServerResponse) => void> = {
  'set-header': (res) => {
    res.setHeader('x-request-id', ID);
    res.setHeader('x-model-variant', 'stable');
    res.setHeader('x-cache', 'bypass');
    res.setHeader('x-served-by', 'primary');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  },
  array: (res) => {
    res.writeHead(200, headList(LENGTH));
    res.end(BODY);
  },
  'json-buffer': (res) => {
    const body = Buffer.from(JSON.stringify(ANSWER));
    res.writeHead(200, headList(String(body.length)));
    res.end(body);
  },
  'json-string': (res) => {
    const body = JSON.stringify(ANSWER);
    res.writeHead(200, headList(String(Buffer.byteLength(body))));
    res.end(body);
  },
};

const answer = answers[process.argv[2]];
if (!answer) throw new Error(`usage: response-head-server.ts ${Object.keys(answers).join('|')}`);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    answer(res);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
