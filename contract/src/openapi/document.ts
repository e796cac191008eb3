import { HEADERS, PATHS } from '../names/http';
import { schemaComponents, schemaRef } from './components';

/**
 * The OpenAPI 3.0.3 document of the whole HTTP API, served at GET /openapi.json. The route table and
 * responses are written here; every schema is generated from the zod wire schemas.
 */
const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(schemaRef('Error')) });
const header = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });
const retryAfter = { [HEADERS.retryAfter]: header('Seconds to wait before retrying.') };
const rateLimit = {
  [HEADERS.rateLimitLimit]: header('Requests allowed per window.'),
  [HEADERS.rateLimitRemaining]: header('Requests left in this window.'),
  [HEADERS.rateLimitReset]: header('Seconds until the window resets.'),
};
const requestId = {
  [HEADERS.requestId]: { description: 'The request id, echoed or generated.', schema: { type: 'string' } },
};

const binaryBody =
  'Binary tensor data extension. The first Inference-Header-Content-Length bytes are an ' +
  'InferenceRequest in JSON; each input whose parameters carry binary_data_size has no data, and ' +
  'its bytes follow the JSON, in input order, binary_data_size bytes each: little-endian elements, ' +
  'BOOL one byte each, BYTES elements each a 4-byte little-endian length then the bytes.';

/** What the guards (auth, rate limit, load shedding) may answer on a route of this scope. */
const guarded = (scope: 'inference' | 'read' | 'admin') => ({
  401: error('Missing or wrong API key'),
  403: error(`The key lacks the ${scope} scope`),
  429: { ...error('Rate limited'), headers: { ...retryAfter, ...rateLimit } },
  503: { ...error('Not ready, overloaded or shutting down'), headers: retryAfter },
});
/** Auth is on when the service has keys; either scheme carries the key. */
const security = [{ bearer: [] }, { apiKey: [] }, {}];

const modelParam = { name: 'model', in: 'path', required: true, schema: { type: 'string' } };
const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };
const pathParams = (withVersion: boolean) => (withVersion ? [modelParam, versionParam] : [modelParam]);

/** A GET on a model, or on one version of it, in the read scope. */
const modelGet =
  (summary: string, ok: object, more: object = {}) =>
  (withVersion: boolean) => ({
    get: {
      summary: withVersion ? `${summary} of one model version` : `Model ${summary.toLowerCase()}`,
      security,
      parameters: pathParams(withVersion),
      responses: { 200: ok, ...guarded('read'), 404: error('Unknown model or version'), ...more },
    },
  });

const metadataOp = modelGet('Metadata', {
  description: 'Model metadata',
  content: json(schemaRef('ModelMetadata')),
});
const readyOp = modelGet(
  'Readiness',
  { description: 'Ready', content: json(schemaRef('ModelReady')) },
  { 503: { ...error('Known but not ready'), headers: retryAfter } },
);

const inferOp = (withVersion: boolean) => ({
  post: {
    summary: withVersion ? 'Inference on one model version' : 'Inference (the server routes the version)',
    security,
    parameters: [
      ...pathParams(withVersion),
      {
        name: HEADERS.inferenceHeaderContentLength,
        in: 'header',
        required: false,
        description:
          'Required with an application/octet-stream body that has a binary section: the byte length ' +
          'of its leading JSON part. Without it the whole body is JSON.',
        schema: { type: 'integer', minimum: 0 },
      },
    ],
    requestBody: {
      required: true,
      content: {
        ...json(schemaRef('InferenceRequest')),
        'application/octet-stream': {
          schema: { type: 'string', format: 'binary', description: binaryBody },
        },
      },
    },
    responses: {
      200: {
        description:
          'Outputs. When any output is asked for in binary the body is application/octet-stream: an ' +
          'InferenceResponse in JSON of Inference-Header-Content-Length bytes, then those outputs, ' +
          'binary_data_size bytes each, in output order.',
        headers: {
          ...requestId,
          [HEADERS.inferenceHeaderContentLength]: header('Byte length of the JSON part of a binary body.'),
          [HEADERS.modelVariant]: {
            description: 'The traffic variant that answered (stable, canary or an A/B variant name).',
            schema: { type: 'string' },
          },
        },
        content: {
          ...json(schemaRef('InferenceResponse')),
          'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
        },
      },
      ...guarded('inference'),
      400: error('Malformed or invalid request; the message names the field'),
      404: error('Unknown model or version'),
      405: error('Method not allowed'),
      408: error('The body did not arrive within REQUEST_TIMEOUT_MS'),
      413: error('Body larger than MAX_BODY_BYTES'),
      500: error('The model failed to run the batch'),
      504: error('The request deadline passed before it ran'),
    },
  },
});

const predictOp = {
  post: {
    summary: 'Prediction from raw records (models with a features.json)',
    description:
      "Validates each record against the model's feature spec, looks up its entity features in the online " +
      'store in one round trip, builds the input tensors, then runs like /infer (same guards, cache, ' +
      'breakers and batcher) on the version the spec was fitted for.',
    security,
    parameters: [modelParam],
    requestBody: { required: true, content: json(schemaRef('PredictRequest')) },
    responses: {
      200: {
        description: 'One prediction per record, in order',
        headers: {
          ...requestId,
          [HEADERS.featureFallback]: {
            description:
              '`defaults` when the online store was down or slow and every entity feature took its default.',
            schema: { type: 'string', enum: ['defaults'] },
          },
        },
        content: json(schemaRef('PredictResponse')),
      },
      ...guarded('inference'),
      400: error('Invalid record (the message names records[i].field) or too many records'),
      404: error('Unknown model, or a model without a features.json'),
      405: error('Method not allowed'),
      408: error('The body did not arrive within REQUEST_TIMEOUT_MS'),
      413: error('Body larger than MAX_BODY_BYTES'),
      500: error('The model failed to run the batch'),
      504: error('The request deadline passed before it ran'),
    },
  },
};

const adminOp = (summary: string, description: string) => ({
  post: {
    summary,
    security,
    parameters: [modelParam],
    requestBody: { required: false, content: json(schemaRef('RepositoryLoadRequest')) },
    responses: {
      200: { description, content: json(schemaRef('Empty')) },
      ...guarded('admin'),
      400: error(
        'The model failed to load (bad config, bad parameters.config or ONNX file); the version already ' +
          'serving keeps serving',
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
      [PATHS.live]: {
        get: {
          summary: 'Liveness',
          responses: { 200: { description: 'Live', content: json(schemaRef('Live')) } },
        },
      },
      [PATHS.ready]: {
        get: {
          summary: 'Readiness: every configured model loaded and warmed up, and not shutting down',
          responses: {
            200: { description: 'Ready', content: json(schemaRef('Ready')) },
            503: { ...error('Not ready'), headers: retryAfter },
          },
        },
      },
      [PATHS.server]: {
        get: {
          summary: 'Server metadata',
          security,
          responses: {
            200: { description: 'Server metadata', content: json(schemaRef('ServerMetadata')) },
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
      '/v2/models/{model}/predict': predictOp,
      [PATHS.repositoryIndex]: {
        post: {
          summary: 'Repository index: every model version and its state',
          security,
          requestBody: { required: false, content: json(schemaRef('RepositoryIndexRequest')) },
          responses: {
            200: { description: 'Index', content: json(schemaRef('RepositoryIndex')) },
            ...guarded('admin'),
            400: error('Malformed body'),
          },
        },
      },
      '/v2/models/{model}/rollout': {
        get: {
          summary: 'The model rollout: state, versions, weights, window statistics, decision history',
          security,
          parameters: [modelParam],
          responses: {
            200: { description: 'Rollout status', content: json(schemaRef('RolloutStatus')) },
            ...guarded('admin'),
            404: error('No such model'),
          },
        },
        post: {
          summary: 'Start, pause, resume, promote or roll back a model rollout',
          security,
          parameters: [modelParam],
          requestBody: { required: true, content: json(schemaRef('RolloutAction')) },
          responses: {
            200: { description: 'The rollout after the action', content: json(schemaRef('RolloutStatus')) },
            ...guarded('admin'),
            400: error('Malformed body; the message names the field'),
            404: error('No such model or version'),
            409: error('The action does not fit the rollout state, or the version is not ready'),
          },
        },
      },
      '/v2/models/{model}/feedback': {
        post: {
          summary: 'Feed back the outcome of a served A/B prediction (joined by its x-request-id)',
          security,
          parameters: [modelParam],
          requestBody: { required: true, content: json(schemaRef('Feedback')) },
          responses: {
            200: { description: 'Joined', content: json(schemaRef('FeedbackAccepted')) },
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
          security,
          parameters: [modelParam],
          responses: {
            200: { description: 'Report', content: json(schemaRef('ExperimentReport')) },
            ...guarded('read'),
            404: error('No such model'),
          },
        },
      },
      '/v2/repository/models/{model}/load': adminOp('Load (or reload) a model', 'Loaded and ready'),
      '/v2/repository/models/{model}/unload': adminOp(
        'Unload a model after its in-flight requests finish',
        'Unloaded',
      ),
      [PATHS.metrics]: {
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
      [PATHS.consoleStatus]: {
        get: {
          summary: 'What the operator console shows: models, traffic, breakers, health and recent series',
          description:
            'Read scope: it carries rollout decisions, experiment outcomes and load failures, which the ' +
            'routes they come from guard too.',
          security,
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
            200: { description: 'Status', content: json(schemaRef('ConsoleStatus')) },
            ...guarded('read'),
            400: error('since is not a number'),
          },
        },
      },
      [PATHS.console]: {
        get: {
          summary: 'The operator console page (its script and style are under /console/)',
          responses: {
            200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
          },
        },
      },
      [`${PATHS.console}/{asset}`]: {
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
      [PATHS.openapi]: {
        get: {
          summary: 'This document',
          responses: { 200: { description: 'OpenAPI 3 document', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      schemas: schemaComponents(),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: HEADERS.apiKey },
      },
    },
  };
}
