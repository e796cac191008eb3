import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface ValidationResult {
  index: number;
  error: string | null;
}

/**
 * Validates objects against the kubernetes-models schemas (see validate-k8s.mjs for why this runs in
 * a child process). Returns one result per object, `error: null` when valid.
 */
export function validateKubeObjects(objects: unknown[]): ValidationResult[] {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'validate-k8s.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    timeout: 60_000,
    cwd: path.join(__dirname, '..'),
  });
  if (r.status !== 0) throw new Error(`validate-k8s.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ValidationResult[];
}
