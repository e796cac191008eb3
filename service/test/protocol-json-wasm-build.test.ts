import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVICE = join(__dirname, '..');

describe('the committed WebAssembly reader', () => {
  it('is what `npm run build:wasm` makes of its AssemblyScript source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'json-numbers-'));
    try {
      const out = join(dir, 'json-numbers.wasm');
      // The package script itself, with only the output moved, so the test checks the command in use.
      execFileSync('npm', ['run', '--silent', 'build:wasm', '--', '-o', out], {
        cwd: SERVICE,
        stdio: 'pipe',
      });
      const committed = readFileSync(join(SERVICE, 'src/protocol/json-numbers.wasm'));
      expect(readFileSync(out).equals(committed)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
