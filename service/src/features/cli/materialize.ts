/**
 * npm run features:materialize -- --model <m> --data <events file> [--redis <url>] [--out <file>]
 *
 * Computes the entity features point in time (a record at time t sees only events before t) and
 * - with --out, writes the training matrix: one row per record, in input order, with its label;
 * - with --redis, writes each entity key's latest value and event time to the online store.
 * Both are deterministic functions of the events, so a re-run changes nothing.
 */
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { RedisConnection, redactRedisUrl } from '../../redis/connection';
import { OnlineStore } from '../online-store';
import { materialize } from '../point-in-time';
import { compileSpec } from '../transforms';
import { readCliInput, runCli } from './common';

function progressBar(label: string) {
  const tty = process.stderr.isTTY;
  return (done: number, total: number) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
    if (tty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    else if (done === total) process.stderr.write(`${line}\n`);
  };
}

runCli(async () => {
  const { model, spec, records, values } = readCliInput(process.argv.slice(2), {
    redis: { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.redis && !values.out)
    throw new Error('nothing to do: give --out <file>, --redis <url> or both');
  const compiled = compileSpec(spec);
  const { entities, latest } = materialize(spec, model, records);
  if (values.out) {
    const label = spec.label;
    const matrix = {
      model,
      model_version: spec.model_version,
      tensors: compiled.tensors,
      times: records.map((r) => r[spec.time_field]),
      rows: records.map((r, i) => compiled.rows(r, entities[i]).map((row) => Array.from(row))),
      labels: records.map((r) => {
        const y = label && r[label.field];
        return typeof y === 'number' ? Number(y > label!.gt) : null;
      }),
    };
    writeFileSync(values.out, JSON.stringify(matrix));
    process.stdout.write(`training matrix: ${records.length} rows -> ${values.out}\n`);
  }
  if (values.redis) {
    const redis = new RedisConnection({
      url: values.redis,
      logger: pino({ level: 'silent' }),
      commandTimeoutMs: 10_000,
      breaker: { volumeThreshold: 1_000_000 },
    });
    try {
      if (!(await redis.waitUntilReady(5000)))
        throw new Error(`cannot reach ${redactRedisUrl(values.redis)}`);
      await new OnlineStore(redis).write(latest, { onProgress: progressBar('online store') });
      process.stdout.write(`online store: ${latest.size} entity values -> ${redactRedisUrl(values.redis)}\n`);
    } finally {
      await redis.close();
    }
  }
});
