import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';

export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
export const hasPromtool = fs.existsSync(PROMTOOL);
if (!hasPromtool)
  console.warn(`promtool tests skipped: ${PROMTOOL} not found (install the Debian "prometheus" package)`);

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Writes `files` (name -> YAML-able object) into a fresh temp dir and runs promtool there. */
export function promtool(args: (dir: string) => string[], files: Record<string, unknown>): PromtoolResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  try {
    for (const [name, content] of Object.entries(files))
      fs.writeFileSync(path.join(dir, name), stringify(content));
    const r = spawnSync(PROMTOOL, args(dir), { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
