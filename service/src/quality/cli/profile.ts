/**
 * Writes a model's quality-profile.json: per version, the distribution of the top-1 score and of the
 * predicted class over the held-out split (testdata/test.json), run through onnxruntime the way the
 * service runs it and binned by the service's own code (../quality-profile.ts).
 * The service compares live traffic against it (model_confidence_shift, model_prediction_drift).
 *
 *   npm run quality:profile -- <model> [<model>...]     (models of the repository's models/)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../core/logger';
import { ModelConfigSchema } from '../../repository/model-config';
import { runSession } from '../../runtime/ort-runner';
import { openSession } from '../../runtime/session';
import type { QualityProfileFile } from '../quality-observer';
import { buildQualityProfile } from '../quality-profile';

const MODELS = path.resolve(__dirname, '..', '..', '..', '..', 'models');

async function profileModel(model: string): Promise<QualityProfileFile> {
  const dir = path.join(MODELS, model);
  const config = ModelConfigSchema.parse(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')));
  if (!config.quality) throw new Error(`${model}: config.json has no quality.scores_output`);
  const input = config.input?.[0];
  // The held-out splits are rows of floats; batching them needs a batch dimension.
  if (input?.datatype !== 'FP32' || config.max_batch_size === 0)
    throw new Error(`${model}: profiles need one FP32 input with a batch dimension`);
  const heldOut = JSON.parse(readFileSync(path.join(dir, 'testdata', 'test.json'), 'utf8')) as {
    inputs: number[][];
  };
  const rows = heldOut.inputs;
  const width = rows[0].length;
  const versions: QualityProfileFile['versions'] = {};
  for (const version of readdirSync(dir).filter((v) => /^\d+$/.test(v))) {
    const { session } = await openSession(
      path.join(dir, version, 'model.onnx'),
      config.session,
      silentLogger,
    );
    try {
      const tensor = {
        name: input.name,
        datatype: 'FP32' as const,
        shape: [rows.length, width],
        data: Float32Array.from(rows.flat()),
      };
      const { outputs } = await runSession(session, [tensor], [config.quality.scores_output]);
      const scores = outputs[0];
      versions[version] = buildQualityProfile(
        scores.name,
        scores.data as Float32Array,
        scores.shape[scores.shape.length - 1],
      );
    } finally {
      await session.release();
    }
  }
  return { versions };
}

async function main() {
  const models = process.argv.slice(2);
  if (models.length === 0) throw new Error('usage: npm run quality:profile -- <model> [<model>...]');
  for (const model of models) {
    const config = JSON.parse(readFileSync(path.join(MODELS, model, 'config.json'), 'utf8'));
    const file = path.join(MODELS, model, config.quality.reference_profile ?? 'quality-profile.json');
    writeFileSync(file, `${JSON.stringify(await profileModel(model), null, 2)}\n`);
    process.stdout.write(`wrote ${path.relative(MODELS, file)}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
