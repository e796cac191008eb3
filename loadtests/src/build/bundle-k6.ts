import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { listStacks, loadStackConfig, REPO_ROOT, type Sla } from '@ml-platform/stack-config';
import { INFERENCE_PROTO } from '../local/grpc-driver';

export const K6_SCRIPTS_DIR = path.resolve(__dirname, '..', '..', 'k6');
export const DEFAULT_OUT_DIR = path.resolve(__dirname, '..', '..', 'dist');

/** The SLA of every stack in the repository, read through the one stack-config loader. */
export function stackSlas(root = REPO_ROOT): Record<string, Sla> {
  return Object.fromEntries(listStacks(root).map((s) => [s, loadStackConfig(s, root).sla]));
}

/**
 * Bundles each `k6/*.ts` into plain JavaScript that k6 runs: ES module output, k6's own modules left
 * as imports, and the stacks' SLAs embedded so the script carries the same numbers as the repo.
 */
export async function bundleK6(outDir = DEFAULT_OUT_DIR, root = REPO_ROOT): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(K6_SCRIPTS_DIR, '*.ts')],
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    // k6's JavaScript runtime (Sobek) is ES2017-complete; newer syntax is lowered.
    target: 'es2017',
    external: ['k6', 'k6/*'],
    define: { __STACK_SLAS__: JSON.stringify(stackSlas(root)) },
    logLevel: 'silent',
    metafile: true,
  });
  // k6/oip-grpc.ts loads the proto from next to itself.
  fs.copyFileSync(INFERENCE_PROTO, path.join(outDir, path.basename(INFERENCE_PROTO)));
  return Object.keys(result.metafile.outputs)
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.resolve(f));
}

if (require.main === module) {
  bundleK6(process.argv[2] ? path.resolve(process.argv[2]) : undefined).then(
    (files) =>
      console.log(`k6 bundles:\n${files.map((f) => `  ${path.relative(process.cwd(), f)}`).join('\n')}`),
    (err: Error) => {
      console.error(`build:k6 failed: ${err.message}`);
      process.exit(1);
    },
  );
}
