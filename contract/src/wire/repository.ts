import { z } from 'zod';
import { MODEL_STATES } from '../names/datatypes';
import { wireSchemas } from './registry';

export const RepositoryIndexRequestSchema = z
  .object({ ready: z.boolean().optional().describe('true: only versions that are READY.') })
  .register(wireSchemas, { id: 'RepositoryIndexRequest' });

export const RepositoryIndexSchema = z
  .array(
    z.object({
      name: z.string(),
      version: z.string().optional(),
      state: z.enum(MODEL_STATES),
      reason: z.string(),
    }),
  )
  .register(wireSchemas, { id: 'RepositoryIndex' });
export type RepositoryIndex = z.output<typeof RepositoryIndexSchema>;

export const RepositoryLoadRequestSchema = z
  .object({
    parameters: z
      .object({
        config: z
          .string()
          .optional()
          .describe(
            "A model config in JSON that replaces the model's config.json for this load, validated like the file.",
          ),
      })
      .optional(),
  })
  .register(wireSchemas, { id: 'RepositoryLoadRequest' });

/** The body of a successful load or unload. */
export const EmptySchema = z.strictObject({}).register(wireSchemas, { id: 'Empty' });
