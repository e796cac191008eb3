import { POINT_FIELDS as CONSOLE_POINT_FIELDS } from '../console/series';
import { DATATYPES } from '../repository/model-config';

/**
 * The OpenAPI 3 document of the whole HTTP API, served at GET /openapi.json. Schemas are plain
 * JSON Schema (no OpenAPI-only keywords) so tests can validate real responses against them.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
};
const requestId = {
  'x-request-id': { description: 'The request id, echoed or generated.', schema: { type: 'string' } },
};
/** What the guards (auth, rate limit, load shedding) may answer on a route of this scope. */
const guarded = (scope: 'inference' | 'read' | 'admin') => ({
  401: error('Missing or wrong API key'),
  403: error(`The key lacks the ${scope} scope`),
  429: { ...error('Rate limited'), headers: retryAfter },
  503: { ...error('Not ready, overloaded or shutting down'), headers: retryAfter },
});

const modelParam = { name: 'model', in: 'path', required: true, schema: { type: 'string' } };
const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };

const parameters = {
  type: 'object',
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
};
const shape = { type: 'array', items: { type: 'integer', minimum: 0 } };
const datatype = { type: 'string', enum: [...DATATYPES] };

/** A request input or response output: the two differ only in how `data` may be laid out. */
const tensor = (dataDescription: string) => ({
  type: 'object',
  required: ['name', 'shape', 'datatype'],
  properties: {
    name: { type: 'string' },
    shape,
    datatype,
    parameters: { ...parameters, properties: { binary_data_size: { type: 'integer', minimum: 0 } } },
    data: { type: 'array', description: dataDescription },
  },
});

const schemas = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'string' } },
    additionalProperties: false,
  },
  Live: { type: 'object', required: ['live'], properties: { live: { type: 'boolean' } } },
  Ready: { type: 'object', required: ['ready'], properties: { ready: { type: 'boolean' } } },
  ModelReady: {
    type: 'object',
    required: ['name', 'ready'],
    properties: { name: { type: 'string' }, version: { type: 'string' }, ready: { type: 'boolean' } },
  },
  ServerMetadata: {
    type: 'object',
    required: ['name', 'version', 'extensions'],
    properties: {
      name: { type: 'string' },
      version: { type: 'string' },
      extensions: { type: 'array', items: { type: 'string' } },
    },
  },
  TensorMetadata: {
    type: 'object',
    required: ['name', 'datatype', 'shape'],
    properties: {
      name: { type: 'string' },
      datatype,
      shape: { type: 'array', items: { type: 'integer', minimum: -1 } },
    },
  },
  ModelMetadata: {
    type: 'object',
    required: ['name', 'versions', 'platform', 'inputs', 'outputs'],
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string' } },
      platform: { type: 'string' },
      inputs: { type: 'array', items: ref('TensorMetadata') },
      outputs: { type: 'array', items: ref('TensorMetadata') },
    },
  },
  InferenceRequest: {
    type: 'object',
    required: ['inputs'],
    properties: {
      id: { type: 'string' },
      parameters: {
        ...parameters,
        properties: {
          timeout: { type: 'number', exclusiveMinimum: 0, description: 'Deadline in microseconds.' },
          binary_data_output: { type: 'boolean' },
        },
      },
      inputs: {
        type: 'array',
        minItems: 1,
        items: tensor('Row-major, flat or nested. Omitted when binary_data_size is set.'),
      },
      outputs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            parameters: { ...parameters, properties: { binary_data: { type: 'boolean' } } },
          },
        },
      },
    },
  },
  InferenceResponse: {
    type: 'object',
    required: ['model_name', 'outputs'],
    properties: {
      model_name: { type: 'string' },
      model_version: { type: 'string' },
      id: { type: 'string' },
      parameters,
      outputs: {
        type: 'array',
        items: tensor('Flat, row-major. Omitted when binary_data_size is set.'),
      },
    },
  },
  ConsoleStatus: {
    type: 'object',
    description:
      'What the operator console shows, sampled once per interval from what GET /metrics serves (every cluster worker aggregated).',
    required: [
      'generatedAt',
      'intervalSeconds',
      'windowSeconds',
      'summarySeconds',
      'health',
      'models',
      'series',
    ],
    additionalProperties: false,
    properties: {
      generatedAt: { type: 'string', description: 'ISO 8601 time of this answer.' },
      intervalSeconds: { type: 'number', exclusiveMinimum: 0, description: 'Sampling interval.' },
      windowSeconds: {
        type: 'number',
        exclusiveMinimum: 0,
        description: 'How far back the series go at most.',
      },
      summarySeconds: {
        type: 'number',
        exclusiveMinimum: 0,
        description: "The window of each version's `recent`.",
      },
      health: {
        type: 'object',
        required: ['workers', 'redis', 'rateLimit'],
        additionalProperties: false,
        properties: {
          workers: { type: 'integer', minimum: 1 },
          redis: { type: 'string', enum: ['up', 'down', 'not configured'] },
          rateLimit: {
            type: 'object',
            required: ['mode'],
            additionalProperties: false,
            properties: {
              mode: {
                type: 'string',
                enum: ['global', 'local'],
                description: 'global: one budget shared through Redis; local: each process admits its share.',
              },
              processesSharing: {
                type: 'integer',
                minimum: 1,
                description: 'Without Redis: the worker processes the budget is split between.',
              },
            },
          },
        },
      },
      models: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'versions'],
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            versions: { type: 'array', items: ref('ConsoleVersion') },
          },
        },
      },
      series: {
        type: 'object',
        required: ['t', 'versions'],
        additionalProperties: false,
        properties: {
          t: {
            type: 'array',
            items: { type: 'number' },
            description: 'End of each interval, ms since the epoch, oldest first.',
          },
          versions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['model', 'version', 'points'],
              additionalProperties: false,
              properties: {
                model: { type: 'string' },
                version: { type: 'string', description: 'Empty for failed requests that named no version.' },
                points: {
                  type: 'object',
                  description: 'One array per field, aligned with `t`.',
                  required: [...CONSOLE_POINT_FIELDS],
                  additionalProperties: false,
                  properties: Object.fromEntries(
                    CONSOLE_POINT_FIELDS.map((f) => [
                      f,
                      { type: 'array', items: { type: ['number', 'null'] } },
                    ]),
                  ),
                },
              },
            },
          },
        },
      },
    },
  },
  ConsoleVersion: {
    type: 'object',
    required: ['version', 'state', 'reason', 'breaker', 'traffic', 'recent'],
    additionalProperties: false,
    properties: {
      version: { type: 'string' },
      state: { type: 'string', enum: ['LOADING', 'READY', 'UNAVAILABLE', 'UNLOADING'] },
      reason: { type: 'string' },
      breaker: { type: 'string', enum: ['closed', 'half-open', 'open'] },
      traffic: {
        type: 'array',
        items: {
          type: 'object',
          required: ['variant', 'weightPct'],
          additionalProperties: false,
          properties: {
            variant: { type: 'string', description: 'stable, canary, ab:<variant> or shadow.' },
            weightPct: { type: 'number', minimum: 0, maximum: 100 },
          },
        },
      },
      recent: {
        description: 'Over the last `summarySeconds`; null until two samples exist.',
        oneOf: [
          { type: 'null' },
          {
            type: 'object',
            required: ['requests', ...CONSOLE_POINT_FIELDS],
            additionalProperties: false,
            properties: {
              requests: { type: 'number', minimum: 0 },
              ...Object.fromEntries(CONSOLE_POINT_FIELDS.map((f) => [f, { type: ['number', 'null'] }])),
            },
          },
        ],
      },
    },
  },
  RepositoryIndex: {
    type: 'array',
    items: {
      type: 'object',
      required: ['name', 'state', 'reason'],
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        state: { type: 'string', enum: ['LOADING', 'READY', 'UNAVAILABLE', 'UNLOADING'] },
        reason: { type: 'string' },
      },
    },
  },
  Empty: { type: 'object', additionalProperties: false },
};

const metadataOp = (withVersion: boolean) => ({
  get: {
    summary: withVersion ? 'Metadata of one model version' : 'Model metadata',
    parameters: withVersion ? [modelParam, versionParam] : [modelParam],
    responses: {
      200: { description: 'Model metadata', content: json(ref('ModelMetadata')) },
      ...guarded('read'),
      404: error('Unknown model or version'),
    },
  },
});

const readyOp = (withVersion: boolean) => ({
  get: {
    summary: withVersion ? 'Readiness of one model version' : 'Model readiness',
    parameters: withVersion ? [modelParam, versionParam] : [modelParam],
    responses: {
      200: { description: 'Ready', content: json(ref('ModelReady')) },
      ...guarded('read'),
      404: error('Unknown model or version'),
      503: { ...error('Known but not ready'), headers: retryAfter },
    },
  },
});

const inferOp = (withVersion: boolean) => ({
  post: {
    summary: withVersion ? 'Inference on one model version' : 'Inference (the server routes the version)',
    parameters: [
      ...(withVersion ? [modelParam, versionParam] : [modelParam]),
      {
        name: 'Inference-Header-Content-Length',
        in: 'header',
        required: false,
        description:
          'Binary tensor data extension: length of the JSON header; binary tensor data follows it.',
        schema: { type: 'integer', minimum: 0 },
      },
    ],
    requestBody: {
      required: true,
      content: {
        ...json(ref('InferenceRequest')),
        'application/octet-stream': {
          schema: { type: 'string', format: 'binary', description: 'JSON header then binary tensor data.' },
        },
      },
    },
    responses: {
      200: {
        description:
          'Outputs. With binary outputs the body is application/octet-stream: a JSON header of ' +
          'Inference-Header-Content-Length bytes, then the tensors.',
        headers: {
          ...requestId,
          'Inference-Header-Content-Length': { schema: { type: 'integer', minimum: 0 } },
        },
        content: {
          ...json(ref('InferenceResponse')),
          'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
        },
      },
      ...guarded('inference'),
      400: error('Malformed or invalid request; the message names the field'),
      404: error('Unknown model or version'),
      405: error('Method not allowed'),
      413: error('Body larger than MAX_BODY_BYTES'),
      500: error('The model failed to run the batch'),
      504: error('The request deadline passed before it ran'),
    },
  },
});

const adminOp = (summary: string, ok: object) => ({
  post: {
    summary,
    parameters: [modelParam],
    responses: {
      200: ok,
      ...guarded('admin'),
      400: error(
        'The model failed to load (bad config or ONNX file); the version already serving keeps serving',
      ),
      404: error('No such model in the repository'),
    },
  },
});

export function openApiDocument(serverVersion: string): object {
  return {
    openapi: '3.0.3',
    info: {
      title: 'ml-platform inference service',
      version: serverVersion,
      description:
        'Open Inference Protocol (KServe v2) REST API with the binary tensor data and model repository extensions.',
    },
    paths: {
      '/v2/health/live': {
        get: { summary: 'Liveness', responses: { 200: { description: 'Live', content: json(ref('Live')) } } },
      },
      '/v2/health/ready': {
        get: {
          summary: 'Readiness: every configured model loaded and warmed up, and not shutting down',
          responses: {
            200: { description: 'Ready', content: json(ref('Ready')) },
            503: { ...error('Not ready'), headers: retryAfter },
          },
        },
      },
      '/v2': {
        get: {
          summary: 'Server metadata',
          responses: {
            200: { description: 'Server metadata', content: json(ref('ServerMetadata')) },
            ...guarded('read'),
          },
        },
      },
      '/v2/models/{model}': metadataOp(false),
      '/v2/models/{model}/versions/{version}': metadataOp(true),
      '/v2/models/{model}/ready': readyOp(false),
      '/v2/models/{model}/versions/{version}/ready': readyOp(true),
      '/v2/models/{model}/infer': inferOp(false),
      '/v2/models/{model}/versions/{version}/infer': inferOp(true),
      '/v2/repository/index': {
        post: {
          summary: 'Repository index: every model version and its state',
          requestBody: {
            required: false,
            content: json({ type: 'object', properties: { ready: { type: 'boolean' } } }),
          },
          responses: {
            200: { description: 'Index', content: json(ref('RepositoryIndex')) },
            ...guarded('admin'),
            400: error('Malformed body'),
          },
        },
      },
      '/v2/repository/models/{model}/load': adminOp('Load (or reload) a model', {
        description: 'Loaded and ready',
        content: json(ref('Empty')),
      }),
      '/v2/repository/models/{model}/unload': adminOp('Unload a model after its in-flight requests finish', {
        description: 'Unloaded',
        content: json(ref('Empty')),
      }),
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: {
            200: {
              description: 'Text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/v2/console/status': {
        get: {
          summary: 'What the operator console shows: models, traffic, breakers, health and recent series',
          parameters: [
            {
              name: 'since',
              in: 'query',
              required: false,
              description:
                'Only the series points after this time (ms since the epoch); all of the window without it.',
              schema: { type: 'number' },
            },
          ],
          responses: {
            200: { description: 'Status', content: json(ref('ConsoleStatus')) },
            400: error('since is not a number'),
          },
        },
      },
      '/console': {
        get: {
          summary: 'The operator console page (its script and style are under /console/)',
          responses: {
            200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
          },
        },
      },
      '/console/{asset}': {
        get: {
          summary: "The console's script, style sheet and icon",
          parameters: [{ name: 'asset', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: {
              description: 'The asset',
              content: {
                'text/javascript': { schema: { type: 'string' } },
                'text/css': { schema: { type: 'string' } },
                'image/svg+xml': { schema: { type: 'string' } },
              },
            },
            404: error('No such asset'),
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          responses: { 200: { description: 'OpenAPI 3 document', content: json({ type: 'object' }) } },
        },
      },
    },
    components: { schemas },
  };
}
