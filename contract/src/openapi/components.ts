import { z } from 'zod';
import { wireSchemas } from '../wire/registry';
// Registering happens on import: load every wire module before reading the registry.
import '../wire';

const ref = (id: string) => `#/components/schemas/${id}`;

/**
 * The wire schemas as OpenAPI 3.0 Schema Objects: one component per registered id, references
 * between them as `$ref`s. `io: 'input'` describes what a sender may send, so objects stay open to
 * fields a newer client adds, as the decoder is.
 */
export function schemaComponents(): Record<string, object> {
  const { schemas } = z.toJSONSchema(wireSchemas, { target: 'openapi-3.0', io: 'input', uri: ref });
  // `$id` names a JSON Schema resource; an OpenAPI 3.0 Schema Object has no such field.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _, ...schema }]) => [id, schema]));
}

export const schemaRef = (id: string) => ({ $ref: ref(id) });
