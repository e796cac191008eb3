import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The bundled flights-delay example with its online store filled the way an operator fills it:
 * the real `features:materialize` command over the vega-datasets flights before the held-out
 * cut-off, plus the held-out flights as rows to score. Shared by the /predict tests and bench.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MATERIALIZE = path.join(REPO_ROOT, 'service/src/features/cli/materialize.ts');
const FLIGHTS = path.join(REPO_ROOT, 'node_modules/vega-datasets/data/flights-20k.json');
const HELD_OUT = path.join(REPO_ROOT, 'models/flights-delay/testdata/heldout.json');

export interface FlightRecord {
  date: string;
  distance: number;
  origin: string;
  destination: string;
}

export interface HeldOut {
  cutoff: string;
  records: FlightRecord[];
  labels: number[];
}

export interface Matrix {
  rows: number[][][];
  labels: (number | null)[];
}

export const heldOut = (): HeldOut => JSON.parse(readFileSync(HELD_OUT, 'utf8'));

/** Runs materialize into `redisUrl` and `<workDir>/matrix.json`; returns its stdout. */
export function materializeFlights(redisUrl: string, workDir: string): string {
  const data = path.join(workDir, 'input.json');
  const { cutoff, records } = heldOut();
  const flights: (FlightRecord & { delay: number })[] = JSON.parse(readFileSync(FLIGHTS, 'utf8'));
  writeFileSync(data, JSON.stringify([...flights.filter((f) => f.date < cutoff), ...records]));
  const run = spawnSync(
    process.execPath,
    [
      '-r',
      'tsx/cjs',
      MATERIALIZE,
      '--model',
      'flights-delay',
      '--data',
      data,
      '--redis',
      redisUrl,
      '--out',
      path.join(workDir, 'matrix.json'),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  if (run.status !== 0) throw new Error(`materialize failed: ${run.stderr}`);
  return run.stdout;
}

/** The matrix the last materializeFlights wrote, and the index of the first held-out row in it. */
export function readMatrix(workDir: string): { bytes: Buffer; matrix: Matrix; firstHeldOut: number } {
  const bytes = readFileSync(path.join(workDir, 'matrix.json'));
  const matrix: Matrix = JSON.parse(bytes.toString());
  return { bytes, matrix, firstHeldOut: matrix.rows.length - heldOut().records.length };
}
