import { z } from 'zod';
import { DATATYPES } from '../names/datatypes';
import { wireSchemas } from './registry';

/** A parameter value: the protocol allows only these three JSON types. */
export const ParameterValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** `parameters` objects: some keys the server reads, any other key of a parameter type. */
export const parameters = <T extends z.ZodRawShape>(known: T) =>
  z.object(known).catchall(ParameterValueSchema);

export const ParametersSchema = parameters({}).register(wireSchemas, { id: 'Parameters' });

export const DatatypeSchema = z.enum(DATATYPES).register(wireSchemas, { id: 'Datatype' });

export const ShapeSchema = z.array(z.number().int().min(0));

/** Binary tensor data extension: byte length of this tensor in the body's binary section. */
const binaryDataSize = z.number().int().min(0);

/** Flat or nested row-major elements; BYTES elements are strings. */
export type TensorData = Array<string | number | boolean | TensorData>;
export const TensorDataSchema: z.ZodType<TensorData> = z
  .lazy(() => z.array(z.union([ParameterValueSchema, TensorDataSchema])))
  .register(wireSchemas, {
    id: 'TensorData',
    description: 'Row-major tensor elements, flat or nested one array level per dimension.',
  });

/** What inputs and outputs share: a tensor's shape and type, and where its bytes are. */
const tensorFields = {
  shape: ShapeSchema,
  datatype: DatatypeSchema,
  parameters: parameters({ binary_data_size: binaryDataSize.optional() }).optional(),
};

export const RequestInputSchema = z
  .object({ name: z.string().min(1), ...tensorFields, data: TensorDataSchema.optional() })
  .register(wireSchemas, {
    id: 'RequestInput',
    description: 'An input tensor: `data`, or `parameters.binary_data_size` bytes in the binary section.',
  });

export const RequestedOutputSchema = z
  .object({
    name: z.string().min(1),
    parameters: parameters({
      binary_data: z.boolean().optional(),
      classification: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe(
          'Classification extension: answer the top k classes as BYTES "score:index[:label]" ' +
            "(per row for batched models), labels from the output's label_filename.",
        ),
    }).optional(),
  })
  .register(wireSchemas, { id: 'RequestedOutput' });

export const ResponseOutputSchema = z
  .object({ name: z.string(), ...tensorFields, data: z.array(ParameterValueSchema).optional() })
  .register(wireSchemas, {
    id: 'ResponseOutput',
    description: 'An output tensor: flat row-major `data`, or `parameters.binary_data_size` binary bytes.',
  });

/** A model's declared input or output; -1 marks a dynamic dimension. */
export const TensorMetadataSchema = z
  .object({
    name: z.string(),
    datatype: DatatypeSchema,
    shape: z.array(z.number().int().min(-1)),
  })
  .register(wireSchemas, { id: 'TensorMetadata' });
