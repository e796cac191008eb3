/**
 * Bundles the console's front end (web/) with esbuild into public/console.js and public/console.css,
 * which the service serves. The bundle is committed, so `npm start` serves it on a fresh checkout
 * with no build step and the container image needs no bundler; service/test/console-bundle.test.ts
 * fails when it is stale.
 *
 *   npm run build:console
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const WEB_DIR = join(__dirname, 'web');
export const PUBLIC_DIR = join(__dirname, 'public');

export interface ConsoleBundle {
  'console.js': string;
  'console.css': string;
}

export async function bundleConsole(): Promise<ConsoleBundle> {
  const result = await build({
    entryPoints: { console: join(WEB_DIR, 'main.ts') },
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2022'],
    platform: 'browser',
    write: false,
    outdir: PUBLIC_DIR,
    legalComments: 'eof',
    logLevel: 'silent',
  });
  const text = (ext: string) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!file) throw new Error(`esbuild produced no ${ext} file`);
    return file.text;
  };
  return { 'console.js': text('.js'), 'console.css': text('.css') };
}

/** The committed files, for comparison with a fresh bundle. */
export function committedBundle(): ConsoleBundle {
  const read = (name: keyof ConsoleBundle) => readFileSync(join(PUBLIC_DIR, name), 'utf8');
  return { 'console.js': read('console.js'), 'console.css': read('console.css') };
}

if (require.main === module) {
  void bundleConsole().then((bundle) => {
    for (const [name, text] of Object.entries(bundle)) {
      writeFileSync(join(PUBLIC_DIR, name), text);
      process.stdout.write(`${name}: ${Buffer.byteLength(text)} bytes\n`);
    }
  });
}
