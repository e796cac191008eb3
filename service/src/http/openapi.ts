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

const nullableString = { type: ['string', 'null'] };
const armCounts = {
  type: 'object',
  required: ['requests', 'errors'],
  properties: { requests: { type: 'integer' }, errors: { type: 'integer' } },
};
/** One judged window (service/src/rollout/window.ts WindowReport). */
const windowReport = {
  type: 'object',
  required: ['window', 'verdict', 'stable', 'canary', 'checks'],
  properties: {
    window: { type: 'integer' },
    verdict: { type: 'string', enum: ['healthy', 'unhealthy', 'insufficient'] },
    stable: armCounts,
    canary: armCounts,
    checks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['check', 'passed', 'detail'],
        properties: {
          check: { type: 'string', enum: ['error_ratio', 'latency'] },
          passed: { type: 'boolean' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

const rolloutSchemas = {
  RolloutAction: {
    type: 'object',
    required: ['action'],
    properties: {
      action: { type: 'string', enum: ['start', 'pause', 'resume', 'promote', 'rollback'] },
      version: { type: 'string', minLength: 1, description: 'The canary version; required by start.' },
    },
  },
  RolloutStatus: {
    type: 'object',
    required: ['model', 'scope', 'state', 'paused', 'versions', 'weights', 'policy', 'history'],
    properties: {
      model: { type: 'string' },
      scope: {
        type: 'string',
        enum: ['shared', 'process'],
        description:
          'shared: every replica judges and routes on one state in Redis; process: this replica alone.',
      },
      note: { type: 'string' },
      state: { type: 'string', enum: ['stable', 'canary', 'promoted', 'rolled_back'] },
      paused: { type: 'boolean' },
      versions: {
        type: 'object',
        required: ['stable', 'canary'],
        properties: { stable: nullableString, canary: nullableString },
      },
      weights: {
        type: 'object',
        required: ['stable', 'canary'],
        properties: { stable: { type: 'number' }, canary: { type: 'number' } },
      },
      step: { type: ['integer', 'null'] },
      healthyWindows: { type: 'integer' },
      policy: { type: 'object' },
      currentWindow: { type: 'object', properties: { stable: armCounts, canary: armCounts } },
      lastWindow: { oneOf: [windowReport, { type: 'null' }] },
      history: {
        type: 'array',
        items: {
          type: 'object',
          required: ['at', 'kind', 'by', 'version', 'weightPct', 'reason'],
          properties: {
            at: { type: 'string', format: 'date-time' },
            kind: { type: 'string', enum: ['start', 'step', 'promote', 'rollback', 'pause', 'resume'] },
            by: { type: 'string', enum: ['controller', 'api'] },
            version: { type: 'string' },
            weightPct: { type: 'number' },
            reason: { type: 'string' },
            evidence: windowReport,
          },
        },
      },
    },
  },
};

const experimentSchemas = {
  Feedback: {
    type: 'object',
    required: ['id'],
    description: 'The outcome of a served A/B prediction: exactly one of label, value or reward.',
    properties: {
      id: { type: 'string', minLength: 1, description: 'The x-request-id of the inference response.' },
      label: { oneOf: [{ type: 'string' }, { type: 'number' }] },
      value: { type: 'number' },
      reward: { type: 'number' },
    },
  },
  FeedbackAccepted: {
    type: 'object',
    required: ['id', 'variant'],
    properties: { id: { type: 'string' }, variant: { type: 'string' }, correct: { type: 'boolean' } },
  },
  ExperimentReport: {
    type: 'object',
    required: ['model', 'metric', 'variants', 'winner', 'verdict'],
    properties: {
      model: { type: 'string' },
      scope: { type: 'string', enum: ['shared', 'process'] },
      keyHeader: nullableString,
      metric: { type: ['string', 'null'], enum: ['accuracy', 'mean_reward', null] },
      variants: {
        type: 'array',
        items: {
          type: 'object',
          required: ['variant', 'version', 'requests', 'feedback'],
          properties: {
            variant: { type: 'string' },
            version: { type: 'string' },
            requests: { type: 'integer' },
            feedback: { type: 'integer' },
            meanLatencyMs: { type: ['number', 'null'] },
            outcome: {
              oneOf: [
                {
                  type: 'object',
                  required: ['metric', 'n', 'value', 'ci95'],
                  properties: {
                    metric: { type: 'string' },
                    n: { type: 'integer' },
                    value: { type: 'number' },
                    ci95: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
                  },
                },
                { type: 'null' },
              ],
            },
          },
        },
      },
      significance: { type: ['object', 'null'] },
      winner: nullableString,
      samplesNeeded: { type: ['integer', 'null'] },
      verdict: { type: 'string' },
    },
  },
};

const experimentOps = {
  '/v2/models/{model}/feedback': {
    post: {
      summary: 'Feed back the outcome of a served A/B prediction (joined by its x-request-id)',
      parameters: [modelParam],
      requestBody: { required: true, content: json(ref('Feedback')) },
      responses: {
        200: { description: 'Joined', content: json(ref('FeedbackAccepted')) },
        ...guarded('inference'),
        400: error('Malformed body or wrong types; the message names the field'),
        404: error('No such model, or no A/B prediction with this id in the join window'),
        409: error('The prediction belongs to another model, or already has feedback'),
      },
    },
  },
  '/v2/models/{model}/experiment': {
    get: {
      summary: 'A/B report: per-variant outcomes with confidence intervals, significance and a verdict',
      parameters: [modelParam],
      responses: {
        200: { description: 'Report', content: json(ref('ExperimentReport')) },
        ...guarded('read'),
        404: error('No such model'),
      },
    },
  },
};

const rolloutOp = {
  get: {
    summary: 'The model rollout: state, versions, weights, window statistics, decision history',
    parameters: [modelParam],
    responses: {
      200: { description: 'Rollout status', content: json(ref('RolloutStatus')) },
      ...guarded('admin'),
      404: error('No such model'),
    },
  },
  post: {
    summary: 'Start, pause, resume, promote or roll back a model rollout',
    parameters: [modelParam],
    requestBody: { required: true, content: json(ref('RolloutAction')) },
    responses: {
      200: { description: 'The rollout after the action', content: json(ref('RolloutStatus')) },
      ...guarded('admin'),
      400: error('Malformed body; the message names the field'),
      404: error('No such model or version'),
      409: error(
        'The action does not apply to the rollout state (no rollout in progress, version not ready)',
      ),
    },
  },
};

const schemas = {
  ...rolloutSchemas,
  ...experimentSchemas,
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
      '/v2/models/{model}/rollout': rolloutOp,
      ...experimentOps,
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
