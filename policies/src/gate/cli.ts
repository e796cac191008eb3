/**
 * `npm run policy:check -- --stack <name> [--config-file <stack file>] [--policy-config <json>] [--json]`
 * Exit codes: 0 pass, 1 a mandatory violation, 2 bad arguments or config.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { hasMandatoryViolations } from './evaluate';
import { formatReport, reportJson } from './report';
import { runGate } from './run';

const USAGE =
  'usage: npm run policy:check -- --stack <name> [--config-file <Pulumi.<stack>.yaml-like file>] ' +
  '[--policy-config <policy-config.json>] [--json]';

export async function main(argv: string[]): Promise<number> {
  let values: { stack?: string; 'config-file'?: string; 'policy-config'?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string' },
        'config-file': { type: 'string' },
        'policy-config': { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.stack) {
    process.stderr.write(`--stack is required\n${USAGE}\n`);
    return 2;
  }
  const configFile = values['config-file'] ? path.resolve(values['config-file']) : undefined;
  const policyConfigFile = values['policy-config'] ? path.resolve(values['policy-config']) : undefined;
  let gate;
  try {
    gate = await runGate({ stack: values.stack, configFile, policyConfigFile });
  } catch (e) {
    process.stderr.write(`policy:check: ${(e as Error).message}\n`);
    return 2;
  }
  process.stdout.write(
    `${values.json ? JSON.stringify(reportJson(gate), null, 2) : formatReport(gate, configFile)}\n`,
  );
  return hasMandatoryViolations(gate.evaluation) ? 1 : 0;
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
