/**
 * `npm run synth -- --stack <name> [--out <dir>]`: runs the stack program offline under mocks, prints
 * the resource tree and the cost estimate, and writes `<dir>/resources.json` and `<dir>/manifests/*.yaml`
 * (default `<dir>`: out/synth/<stack>). Exit code 2 for bad arguments or config, 1 for anything else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, REPO_ROOT, listStacks } from '@ml-platform/stack-config';
import { renderCostEstimate, renderManifests, renderTree, resourcesJson } from './render';
import { synthStack } from './run';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  if (!values.stack) {
    console.error(`usage: npm run synth -- --stack <${listStacks().join('|')}> [--out <dir>]`);
    return 2;
  }
  const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, 'out', 'synth', values.stack));
  const result = await synthStack(values.stack);
  console.log(renderTree(result.resources));
  console.log();
  console.log(renderCostEstimate(result.costEstimate));

  const manifestsDir = path.join(outDir, 'manifests');
  fs.rmSync(manifestsDir, { recursive: true, force: true });
  fs.mkdirSync(manifestsDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, 'resources.json'),
    `${JSON.stringify(resourcesJson(result.resources), null, 2)}\n`,
  );
  const manifests = renderManifests(result.resources);
  for (const [file, text] of manifests) fs.writeFileSync(path.join(manifestsDir, file), text);
  console.log(`\n${result.resources.length} resources, ${manifests.size} Kubernetes manifests -> ${outDir}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ConfigError || (err instanceof TypeError && /option|argument/i.test(err.message))) {
        console.error(err.message);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
