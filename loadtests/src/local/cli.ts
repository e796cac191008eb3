import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadStackConfig } from '@ml-platform/stack-config';
import { renderHtml } from '../report/html';
import type { LoadTestReport } from '../report/report';
import { renderText } from '../report/text';
import { parseCliArgs, USAGE, UsageError } from './args';
import { runLocalScenario } from './run';

export function writeReport(report: LoadTestReport, outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const files: Array<[string, string]> = [
    ['report.json', JSON.stringify(report, null, 2)],
    ['summary.txt', renderText(report)],
    ['report.html', renderHtml(report)],
  ];
  return files.map(([name, content]) => {
    const file = path.join(outDir, name);
    fs.writeFileSync(file, content);
    return file;
  });
}

/** Exit codes: 0 all thresholds met, 1 a threshold breached (or the run aborted), 2 bad usage or setup. */
export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseCliArgs(argv);
    const sla = loadStackConfig(args.stack).sla;
    const report = await runLocalScenario({
      ...args,
      sla,
      apiKey: process.env.LOADTEST_API_KEY || undefined,
      log: (line) => console.error(line),
    });
    process.stdout.write(renderText(report));
    const files = writeReport(report, args.outDir);
    console.error(`wrote ${files.join(', ')}`);
    return report.passed ? 0 : 1;
  } catch (err) {
    console.error(`loadtest: ${(err as Error).message}`);
    if (err instanceof UsageError) console.error(USAGE);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
