import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { stackConfigMap, type StackFileOptions } from '@ml-platform/stack-config';

/**
 * The pack as the Pulumi CLI runs it: `index.ts` started in `policies/` with the environment the
 * engine gives a Node.js policy pack, spoken to over the analyzer gRPC protocol with @pulumi/pulumi's
 * own generated client. The CLI itself cannot run here, so this is the closest real check of what
 * `pulumi preview --policy-pack policies` does.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const pulumiDir = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
const fromPulumi = (m: string) => require(require.resolve(m, { paths: [pulumiDir] }));
export const analyzerPb = require('@pulumi/pulumi/proto/analyzer_pb');
const analyzerGrpc = require('@pulumi/pulumi/proto/analyzer_grpc_pb');
export const { Struct } = fromPulumi('google-protobuf/google/protobuf/struct_pb');
export const { Empty } = fromPulumi('google-protobuf/google/protobuf/empty_pb');
/* eslint-enable @typescript-eslint/no-require-imports */

const PACK_DIR = path.resolve(__dirname, '..', '..');

export type Reply = Record<string, (...a: unknown[]) => unknown>;
type Call = (req: unknown, cb: (err: Error | null, res: Reply) => void) => void;

export interface RunningPack {
  call(method: string, req: unknown): Promise<Reply>;
  stop(): void;
}

/** The pack process ended before it served: what the CLI would show the user. */
export class PackExit extends Error {
  constructor(
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`pack exited with ${code}: ${stderr}`);
  }
}

/**
 * What the engine sets when it starts a Node.js pack for a stack (pkg/resource/plugin in
 * pulumi/pulumi): the stack name and the stack's config map, here read from the stack file.
 */
export function engineEnv(stack: string, opts: StackFileOptions = {}): NodeJS.ProcessEnv {
  return {
    PULUMI_NODEJS_PROJECT: 'ml-platform',
    PULUMI_NODEJS_STACK: stack,
    PULUMI_NODEJS_DRY_RUN: 'true',
    PULUMI_CONFIG: JSON.stringify(stackConfigMap(stack, opts)),
  };
}

export async function startPack(env: NodeJS.ProcessEnv): Promise<RunningPack> {
  const server: ChildProcess = spawn(process.execPath, [require.resolve('tsx/cli'), 'index.ts'], {
    cwd: PACK_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr?.on('data', (d) => (stderr += String(d)));
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout?.on('data', (d) => {
      const m = /^(\d+)\s*$/m.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (code) => reject(new PackExit(code, stderr)));
  });
  const client = new analyzerGrpc.AnalyzerClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as Record<string, Call> & { close(): void };
  return {
    call: (method, req) =>
      new Promise((resolve, reject) =>
        client[method].call(client, req, (err, res) => (err ? reject(err) : resolve(res))),
      ),
    stop: () => {
      client.close();
      server.kill();
    },
  };
}
