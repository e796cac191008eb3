import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { validateRecord, type FeatureRecord } from '../records';
import { parseFeatureSpec, type FeatureSpec } from '../spec';

/** Shared by the features:* commands: arguments, the spec file and the data file. */
export interface CliInput {
  model: string;
  specPath: string;
  spec: FeatureSpec;
  records: FeatureRecord[];
  values: Record<string, string | undefined>;
}

export function readCliInput(argv: string[], extra: Record<string, { type: 'string' }> = {}): CliInput {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      repository: { type: 'string' },
      ...extra,
    },
    strict: true,
  });
  if (!values.model || !values.data)
    throw new Error('--model <name> and --data <JSON array of records> are required');
  const repository = resolve(values.repository ?? process.env.MODEL_REPOSITORY ?? 'models');
  const specPath = join(repository, values.model, 'features.json');
  const spec = parseFeatureSpec(JSON.parse(readFileSync(specPath, 'utf8')), specPath);
  const raw: unknown = JSON.parse(readFileSync(values.data, 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${values.data} must hold a JSON array of records`);
  const records = raw.map((r, i) => validateRecord(spec, r, i));
  return {
    model: values.model,
    specPath,
    spec,
    records,
    values: values as Record<string, string | undefined>,
  };
}

/** Runs a command's main, printing only the message of an expected failure. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
