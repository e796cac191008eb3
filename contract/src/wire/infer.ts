import { z } from 'zod';
import { wireSchemas } from './registry';
import {
  parameters,
  ParametersSchema,
  RequestedOutputSchema,
  RequestInputSchema,
  ResponseOutputSchema,
} from './tensors';

export const InferenceRequestSchema = z
  .object({
    /** Echoed in the response. */
    id: z.string().optional(),
    parameters: parameters({
      timeout: z
        .number()
        .positive()
        .optional()
        .describe('Deadline in microseconds, capped by the server; a request past it is answered 504.'),
      binary_data_output: z
        .boolean()
        .optional()
        .describe('Return every output not named in `outputs` in the binary section.'),
      cache: z.boolean().optional().describe('false: bypass the prediction cache for this request.'),
    }).optional(),
    inputs: z.array(RequestInputSchema).min(1),
    /** Omitted or empty: every output. */
    outputs: z.array(RequestedOutputSchema).optional(),
  })
  .register(wireSchemas, { id: 'InferenceRequest' });
export type InferenceRequest = z.input<typeof InferenceRequestSchema>;

export const InferenceResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().optional(),
    parameters: ParametersSchema.optional(),
    outputs: z.array(ResponseOutputSchema),
  })
  .register(wireSchemas, { id: 'InferenceResponse' });
export type InferenceResponse = z.output<typeof InferenceResponseSchema>;
