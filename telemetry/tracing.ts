/**
 * OpenTelemetry traces from the HTTP request through the workflow to each activity, exported over
 * OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set and not even loaded otherwise. Temporal's
 * plugin carries the trace context in workflow and activity headers, so one trace spans processes.
 */
import { context, trace, type Tracer } from '@opentelemetry/api';
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { RequestHandler } from 'express';

export interface Tracing {
  /** For the process's Temporal Client and Workers: propagates context, exports workflow spans. */
  plugin: OpenTelemetryPlugin;
  tracer: Tracer;
  /** Flushes what is buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

export async function startTracing(endpoint: string | undefined, serviceName: string): Promise<Tracing | undefined> {
  if (!endpoint) return undefined;
  // Imported here, not at the top: the SDK and its exporter cost a process that exports nothing
  // about 20 MiB, and most deployments set no endpoint.
  const [{ OTLPTraceExporter }, { Resource }, { BatchSpanProcessor }, { NodeTracerProvider }, { OpenTelemetryPlugin }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor }),
    tracer: trace.getTracer('durable-inference'),
    shutdown: () => provider.shutdown(),
  };
}

/** A span per API request, active while it is handled, so the workflow start becomes its child. */
export function requestSpans(tracer: Tracer): RequestHandler {
  return (req, res, next) => {
    const span = tracer.startSpan(`${req.method} ${req.baseUrl}${req.path}`, { attributes: { 'http.method': req.method, 'http.target': req.originalUrl } });
    res.once('finish', () => {
      // Named after the matched route, not the URL, so record ids do not become span names.
      const route = (req.route as { path?: unknown } | undefined)?.path;
      span.updateName(`${req.method} ${req.baseUrl}${typeof route === 'string' ? route : req.path}`);
      span.setAttribute('http.status_code', res.statusCode);
      span.end();
    });
    context.with(trace.setSpan(context.active(), span), next);
  };
}
