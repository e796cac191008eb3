import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const rss = () => (process.memoryUsage().rss / 2 ** 20).toFixed(1);
const threads = () => /Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
(async () => {
  const file = 'models/breast-cancer-lite/1/model.onnx';
  const n = Number(process.argv[2] ?? 200);
  console.log('start', rss(), threads());
  const t0 = performance.now();
  const ss = [];
  for (let i = 0; i < n; i++) {
    ss.push(await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: ['cpu'], logSeverityLevel: 4 }));
  }
  console.log('opened', n, ((performance.now() - t0) / n).toFixed(2), 'ms each', rss(), threads());
  const x = new ort.Tensor('float32', new Float32Array(30 * 64), [64, 30]);
  const x1 = new ort.Tensor('float32', new Float32Array(30), [1, 30]);
  const t1 = performance.now();
  for (const s of ss) { await s.run({ input: x1 }); await s.run({ input: x }); }
  console.log('warm', ((performance.now() - t1) / n).toFixed(2), 'ms each', rss(), threads());
})();
