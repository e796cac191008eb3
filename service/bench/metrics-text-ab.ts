/**
 * GET /metrics of this checkout's service against another checkout's (say, main before a change to
 * how metrics are counted), after the same requests sent one at a time: REST to two versions, cache
 * off and cached, a 400, a 404 and a model without a batch of its own. Prints whether the service's
 * own lines (not the Node runtime's) come out the same, in the same order, with time-valued samples
 * masked, and lists the lines one side has and the other lacks.
 *
 *   npx tsx service/bench/metrics-text-ab.ts --baseline <other checkout>
 */
import path from 'node:path';
import { breastCancerRequest } from '../test/http-support';
import { REPO_ROOT } from '../../test/support/service-process';
import { startCheckoutService } from './bench-processes';
import { requiredArg } from './args';

const BASELINE = path.resolve(requiredArg('baseline'));

async function scrapeAfterRequests(url: string): Promise<string> {
  const post = (to: string, body: unknown) =>
    fetch(url + to, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  // Versioned paths: an unversioned one is routed at random between stable and canary.
  for (let i = 0; i < 5; i++)
    await post('/v2/models/breast-cancer/versions/1/infer', {
      ...breastCancerRequest(1),
      parameters: { cache: false },
    });
  for (let i = 0; i < 3; i++) await post('/v2/models/breast-cancer/versions/2/infer', breastCancerRequest(2));
  await post('/v2/models/breast-cancer/infer', '{"inputs": [');
  await post('/v2/models/nope/infer', breastCancerRequest(1));
  await post('/v2/models/digits/infer', {
    inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: Array(64).fill(1) }],
  });
  return (await fetch(`${url}/metrics`)).text();
}

/** Samples whose value is a time, a byte count or the runtime's, which no two runs share. */
const VARYING = /(_seconds|_seconds_total|_usd_total|_bytes)$/;

function serviceLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !/^(# (HELP|TYPE) )?(nodejs_|process_)/.test(l))
    .map((l) => {
      const family = l.startsWith('#') ? '' : l.split(/[{ ]/)[0].replace(/_(bucket|sum|count)$/, '');
      return VARYING.test(family) ? l.replace(/ \S+$/, ' <masked>') : l;
    });
}

async function main() {
  const services = [await startCheckoutService(BASELINE), await startCheckoutService(REPO_ROOT)];
  try {
    const [base, here] = await Promise.all(
      services.map(async (s) => serviceLines(await scrapeAfterRequests(s.url))),
    );
    console.log(`baseline: ${BASELINE}`);
    console.log(
      `service lines: baseline ${base.length}, this ${here.length}; ` +
        `identical and in the same order: ${JSON.stringify(base) === JSON.stringify(here)}`,
    );
    for (const l of base) if (!here.includes(l)) console.log(`- ${l}`);
    for (const l of here) if (!base.includes(l)) console.log(`+ ${l}`);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}

void main();
