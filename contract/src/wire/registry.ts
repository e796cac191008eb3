import { z } from 'zod';

/** Named wire schemas: each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const wireSchemas = z.registry<{ id: string; description?: string }>();
