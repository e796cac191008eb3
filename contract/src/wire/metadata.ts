import { z } from 'zod';
import { wireSchemas } from './registry';
import { TensorMetadataSchema } from './tensors';

export const LiveSchema = z.object({ live: z.boolean() }).register(wireSchemas, { id: 'Live' });
export const ReadySchema = z.object({ ready: z.boolean() }).register(wireSchemas, { id: 'Ready' });

export const ModelReadySchema = z
  .object({ name: z.string(), version: z.string().optional(), ready: z.boolean() })
  .register(wireSchemas, { id: 'ModelReady' });

export const ServerMetadataSchema = z
  .object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })
  .register(wireSchemas, { id: 'ServerMetadata' });
export type ServerMetadata = z.output<typeof ServerMetadataSchema>;

export const ModelMetadataSchema = z
  .object({
    name: z.string(),
    versions: z.array(z.string()),
    platform: z.string(),
    inputs: z.array(TensorMetadataSchema),
    outputs: z.array(TensorMetadataSchema),
  })
  .register(wireSchemas, { id: 'ModelMetadata' });
export type ModelMetadata = z.output<typeof ModelMetadataSchema>;

/** Every error answer: one message that names the field or the reason. */
export const ErrorSchema = z.strictObject({ error: z.string() }).register(wireSchemas, { id: 'Error' });
