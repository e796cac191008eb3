import { z } from 'zod';
import { wireSchemas } from './registry';
import { parameters } from './tensors';

/** POST /v2/models/{m}/predict: raw records in, the model's features.json turns them into tensors. */
export const PredictRequestSchema = z
  .object({
    records: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .describe("Raw records: the fields the model's features.json declares (others are ignored)."),
    parameters: parameters({
      return_features: z.boolean().optional().describe("Add each record's feature vector."),
    }).optional(),
  })
  .register(wireSchemas, { id: 'PredictRequest' });

const outputValue = z.union([z.number(), z.array(z.number())]);

export const PredictResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    predictions: z.array(
      z
        .object({
          features: z
            .record(z.string(), z.array(z.number()))
            .optional()
            .describe('Input tensor name -> the feature vector used.'),
        })
        .catchall(outputValue)
        .describe("The model's outputs for the record by name (a number, or an array), and `features`."),
    ),
  })
  .register(wireSchemas, { id: 'PredictResponse' });
