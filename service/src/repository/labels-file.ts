import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from './model-config';

/**
 * The class names of each output whose config entry names a `label_filename`: one name per line,
 * line i naming class i, as Triton reads them. A file that cannot be read fails the model's load.
 */
export function readLabels(modelDir: string, config: ModelConfig): Map<string, string[]> {
  const labels = new Map<string, string[]>();
  for (const output of config.output ?? []) {
    if (output.label_filename === undefined) continue;
    const file = join(modelDir, output.label_filename);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`${file}: cannot read the labels of output '${output.name}': ${(e as Error).message}`);
    }
    const lines = text.split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    labels.set(output.name, lines);
  }
  return labels;
}
