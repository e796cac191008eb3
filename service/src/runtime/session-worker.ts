/**
 * The onnxruntime thread. onnxruntime-node runs a session synchronously on the calling thread, so
 * running it here keeps the engine's thread free to parse requests, fill the next batch and fire
 * deadlines while a batch computes. Speaks the protocol in ./worker-protocol.
 */
import { parentPort } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import type { EngineLogger } from '../core/logger';
import { onnxIo } from './onnx-io';
import { runSession } from './ort-runner';
import { openSession } from './session';
import {
  apartFromInputs,
  reviveTensor,
  transferablesOf,
  type WorkerReply,
  type WorkerRequest,
} from './worker-protocol';

const port = parentPort!;
const sessions = new Map<number, ort.InferenceSession>();
let nextHandle = 1;

function forwardingLogger(id: number): EngineLogger {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object, msg: string) =>
    port.postMessage({ id, log: { level, obj, msg } } satisfies WorkerReply);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function session(handle: number): ort.InferenceSession {
  const s = sessions.get(handle);
  if (!s) throw new Error(`session ${handle} is not open`);
  return s;
}

async function handle(req: WorkerRequest): Promise<void> {
  try {
    if (req.op === 'open') {
      const opened = await openSession(req.file, req.config, forwardingLogger(req.id));
      const handle = nextHandle++;
      sessions.set(handle, opened.session);
      const ok = { handle, io: onnxIo(opened.session), provider: opened.provider };
      port.postMessage({ id: req.id, ok } satisfies WorkerReply);
    } else if (req.op === 'run') {
      const inputs = req.inputs.map(reviveTensor);
      const ran = await runSession(session(req.handle), inputs, req.outputs);
      const back = req.lent ? inputs : [];
      const ok = { ...ran, outputs: apartFromInputs(ran.outputs, back), ...(req.lent ? { inputs } : {}) };
      port.postMessage({ id: req.id, ok } satisfies WorkerReply, transferablesOf([...ok.outputs, ...back]));
    } else {
      const s = session(req.handle);
      sessions.delete(req.handle);
      await s.release();
      port.postMessage({ id: req.id, ok: {} } satisfies WorkerReply);
    }
  } catch (e) {
    port.postMessage({ id: req.id, error: (e as Error).message } satisfies WorkerReply);
  }
}

port.on('message', (req: WorkerRequest) => void handle(req));
