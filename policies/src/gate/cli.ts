/**
 * `npm run policy:check -- --stack <name> [--config-file <stack file>] [--policy-config <json>] [--json]`
 * `npm run policy:check -- --all` runs every stack in the repo, each with its own policy config.
 * Exit codes: 0 pass, 1 a mandatory violation, 2 bad arguments or config, or a policy that could not run.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { listStacks } from '@ml-platform/stack-config';
import { hasMandatoryViolations } from './evaluate';
import { formatReport, reportJson } from './report';
import { runGate, type GateOptions } from './run';

const USAGE =
  'usage: npm run policy:check -- (--stack <name> | --all) [--config-file <Pulumi.<stack>.yaml-like file>] ' +
  '[--policy-config <policy-config.json>] [--json]';

interface Args {
  stack?: string;
  all?: boolean;
  'config-file'?: string;
  'policy-config'?: string;
  json?: boolean;
}

function parse(argv: string[]): GateOptions[] | string {
  let values: Args;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string' },
        all: { type: 'boolean' },
        'config-file': { type: 'string' },
        'policy-config': { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
  } catch (e) {
    return (e as Error).message;
  }
  if (values.all && (values.stack || values['config-file'] || values['policy-config'])) {
    return '--all runs each stack with its own files; it takes no --stack, --config-file or --policy-config';
  }
  const configFile = values['config-file'] ? path.resolve(values['config-file']) : undefined;
  const policyConfigFile = values['policy-config'] ? path.resolve(values['policy-config']) : undefined;
  if (values.all) return listStacks().map((stack) => ({ stack }));
  if (!values.stack) return '--stack (or --all) is required';
  return [{ stack: values.stack, configFile, policyConfigFile }];
}

export async function main(argv: string[]): Promise<number> {
  const runs = parse(argv);
  if (typeof runs === 'string') {
    process.stderr.write(`${runs}\n${USAGE}\n`);
    return 2;
  }
  const json = argv.includes('--json');
  let worst = 0;
  const reports: unknown[] = [];
  for (const opts of runs) {
    try {
      const gate = await runGate(opts);
      if (json) reports.push(reportJson(gate));
      else process.stdout.write(`${formatReport(gate, opts.configFile)}\n`);
      if (hasMandatoryViolations(gate.evaluation)) worst = Math.max(worst, 1);
    } catch (e) {
      process.stderr.write(`policy:check ${opts.stack}: ${(e as Error).message}\n`);
      worst = 2;
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  return worst;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`policy:check: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(2);
    },
  );
}
