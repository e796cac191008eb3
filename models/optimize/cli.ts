/**
 * `npm run model:optimize -- --model <name> [--version <v>] [--mode dynamic|static|graph] [--publish]`
 *
 * Optimises one model of the repository (MODEL_REPOSITORY, default models/): onnxruntime's INT8
 * quantiser (dynamic or static QDQ, Python in a venv of its own) or its offline graph optimiser;
 * compares the result with the original on the held-out data, times both, applies the model's
 * accuracy gate and writes a report. With --publish, a passing model becomes the next version and the
 * model's canary. Exit codes: 0 done, 1 gate failed or the model cannot be optimised, 2 usage.
 */
import { isSetup, parseArgs } from './args';
import { OptimizeError } from './errors';
import { optimize, REPORT_FILES } from './optimize';
import { ensureVenv, pythonEnv } from './python';

export async function main(argv: readonly string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(`model:optimize: ${line}\n`);
  try {
    if (isSetup(argv)) {
      console.log(`quantiser venv ready: ${await ensureVenv(pythonEnv(process.env), log)}`);
      return 0;
    }
    const args = parseArgs(argv, process.env);
    const { report, dir } = await optimize(args, log);
    const b = report.latency.batches[report.latency.batches.length - 1];
    const speedup = b.optimized.rows_per_s / b.original.rows_per_s;
    console.log(
      `${report.model} v${report.source_version} ${report.mode}: ${report.metric.name} ` +
        `${report.metric.original.toFixed(4)} -> ${report.metric.optimized.toFixed(4)}` +
        (report.agreement === null ? '' : `, top-1 agreement ${(report.agreement * 100).toFixed(2)}%`) +
        `, batch ${b.batch} ${speedup.toFixed(2)}x rows/s, size ${report.size_bytes.original} -> ${report.size_bytes.optimized} bytes`,
    );
    if (!report.gate.passed) {
      console.error(`gate failed, nothing published:\n  ${report.gate.failures.join('\n  ')}`);
      console.error(`report: ${dir}/${REPORT_FILES.markdown}`);
      return 1;
    }
    console.log(
      report.published_version
        ? `gate passed; published as ${dir} (canary at ${report.gate.canary_weight_pct}%). ` +
            `Load it with POST /v2/repository/models/${report.model}/load, or restart the service.`
        : `gate passed; report and model in ${dir} (add --publish to publish)`,
    );
    return 0;
  } catch (e) {
    if (e instanceof OptimizeError) {
      console.error(`model:optimize: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(e.stack ?? e.message);
      process.exit(1);
    },
  );
}
