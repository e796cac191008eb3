import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  propagation,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IncomingHttpHeaders } from 'node:http';

export interface Tracing {
  /**
   * Starts a server span whose parent comes from the request's `traceparent`, if any; undefined
   * when tracing is off, so the hot path allocates nothing for it.
   */
  startSpan(name: string, headers: IncomingHttpHeaders, attributes: Record<string, string>): Span | undefined;
  end(span: Span | undefined, status: number): void;
  shutdown(): Promise<void>;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The trace id of a W3C `traceparent` header, for log correlation even when tracing is off. */
export function traceIdOf(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' ? TRACEPARENT.exec(header)?.[1] : undefined;
}

const headerGetter = {
  keys: (h: IncomingHttpHeaders) => Object.keys(h),
  get: (h: IncomingHttpHeaders, key: string) => h[key],
};

function tracingWith(tracer: Tracer, shutdown: () => Promise<void>): Tracing {
  return {
    startSpan(name, headers, attributes) {
      const parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
      return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    },
    end(span, status) {
      if (!span) return;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    shutdown,
  };
}

/**
 * OpenTelemetry tracing, on only when an OTLP endpoint is configured (the exporter reads the
 * standard OTEL_EXPORTER_OTLP_* variables itself). Off, spans are the API's no-op spans.
 */
export function createTracing(opts: { endpoint?: string; serviceName: string; disabled: boolean }): Tracing {
  if (!opts.endpoint || opts.disabled) {
    return { startSpan: () => undefined, end: () => undefined, shutdown: async () => undefined };
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Sets the global propagator to W3C trace context (and baggage), which `extract` above uses.
  provider.register();
  return tracingWith(provider.getTracer('ml-platform-inference'), () => provider.shutdown());
}
