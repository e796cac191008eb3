/**
 * npm run features:fit -- --model <m> --data <file> [--repository <dir>]
 *
 * Fits the spec's statistics, edges and vocabularies on the records in <file> (a JSON array) and
 * writes them into <repository>/<m>/features.json. Entity features are fitted on their point-in-time
 * values, the values the training matrix will hold.
 */
import { writeFileSync } from 'node:fs';
import { fitSpec } from '../fit';
import { materialize } from '../point-in-time';
import { compileSpec } from '../transforms';
import { readCliInput, runCli } from './common';

runCli(async () => {
  const { model, spec, specPath, records } = readCliInput(process.argv.slice(2));
  const { entities } = materialize(spec, model, records);
  const fitted = fitSpec(spec, records, entities);
  const compiled = compileSpec(fitted);
  writeFileSync(specPath, `${JSON.stringify(fitted, null, 2)}\n`);
  const widths = compiled.tensors.map((t) => `${t.name}: ${t.columns.length} columns`).join(', ');
  process.stdout.write(
    `fitted ${spec.features.length} features on ${records.length} records -> ${specPath} (${widths})\n`,
  );
});
