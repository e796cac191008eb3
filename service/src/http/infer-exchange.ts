import { HEADERS } from '@ml-platform/contract/names';
import type { Span } from '@opentelemetry/api';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { InferRequest, InferResult, OutputClasses } from '../core/engine';
import { clientClosedRequest } from '../core/errors';
import type { Settle } from '../core/settle';
import type { InferenceOutcome } from '../pipeline/inference';
import type { DecodedInferRequest } from '../protocol/infer-request';
import { encodeInferResponse } from '../protocol/infer-response';
import type { RouteDecision } from '../traffic/router';
import { PendingHeaders } from './pending-headers';
import { requestIdOf } from './request-id';
import { sendError } from './respond';

/** What every exchange of one handler shares. */
export interface ExchangeSteps {
  /** Steps 8 and 9 (pipeline/inference.ts). */
  record(outcome: InferenceOutcome): void;
  outputClasses(model: string, output: string): OutputClasses;
}

/**
 * One /infer request from its context (step 1) to its record, and the Settle its inference
 * reports to (core/settle.ts): the batch's answer runs steps 7 to 9 here directly, where awaiting
 * the inference cost a promise, its resolvers, a settle object and a microtask turn more per
 * request. It is also the outcome the recorder reads, so recording builds no object of its own.
 */
export class InferExchange implements Settle<InferResult>, InferenceOutcome {
  readonly protocol = 'rest';
  readonly started = performance.now();
  readonly requestId: string;
  /** The request's headers (traceparent for the log line). */
  readonly headers: IncomingHttpHeaders;
  /** The response's, gathered for one writeHead (pending-headers.ts). */
  readonly answerHeaders = new PendingHeaders();
  span: Span | undefined = undefined;
  status = 500;
  failure: unknown = undefined;
  /** Set once decoded: what the answer is encoded for. */
  decoded: DecodedInferRequest | undefined = undefined;
  request: InferRequest | undefined = undefined;
  route: RouteDecision | undefined = undefined;
  result: InferResult | undefined = undefined;
  servedBy: string | undefined = undefined;
  seconds = 0;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly model: string,
    readonly version: string | undefined,
    private readonly steps: ExchangeSteps,
  ) {
    this.requestId = requestIdOf(req);
    this.headers = req.headers;
    this.answerHeaders.set(HEADERS.requestId, this.requestId);
  }

  /** 7. encode and answer, then record. */
  resolve(result: InferResult): void {
    this.result = result;
    try {
      if (this.req.socket.destroyed)
        throw clientClosedRequest('the client closed the connection before its answer');
      const encoded = encodeInferResponse(this.decoded!, result, undefined, (output) =>
        this.steps.outputClasses(result.modelName, output),
      );
      const headers = this.answerHeaders;
      headers.set('content-type', encoded.contentType);
      headers.set('content-length', String(encoded.length));
      if (encoded.headerLength !== undefined)
        headers.set(HEADERS.inferenceHeaderContentLength, String(encoded.headerLength));
      this.res.writeHead(200, headers.list());
      this.res.end(encoded.body);
      this.status = 200;
    } catch (err) {
      this.fail(err);
    }
    this.finish();
  }

  /** Any failure, from admission to the inference: answered with its status, then recorded. */
  reject(error: unknown): void {
    this.fail(error);
    this.finish();
  }

  private fail(error: unknown): void {
    this.failure = error;
    this.answerHeaders.applyTo(this.res);
    this.status = sendError(this.res, error);
  }

  /** 8. record, 9. observe. */
  private finish(): void {
    this.servedBy = this.answerHeaders.get(HEADERS.servedBy);
    this.steps.record(this);
  }
}
