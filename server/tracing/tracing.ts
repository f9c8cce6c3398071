// Optional OpenTelemetry tracing (off by default): one server span per HTTP request, named by its route
// template and carrying the request id, exported over OTLP/HTTP. The SDK is imported only when tracing is on,
// so a server without it pays nothing for it at start or per request.
import type { Middleware } from 'koa';
import { routeLabel } from '../metrics/koa-http-metrics.ts';

export interface Tracing {
  /** Koa middleware: the request's span, active for everything below it (outbound calls made inside see it). */
  middleware: Middleware;
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** The attribute that ties a span to the X-Request-Id header and the log lines of the same request. */
export const REQUEST_ID_ATTRIBUTE = 'request.id';

export async function startTracing(options: { endpoint: string; serviceName?: string }): Promise<Tracing> {
  const [api, sdk, exporterModule, resources] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const exporter = new exporterModule.OTLPTraceExporter({ url: `${options.endpoint}/v1/traces` });
  const provider = new sdk.NodeTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName ?? 'loyalty-idp' }),
    // Batched off the request path; a collector that is down costs dropped spans, never slower requests.
    spanProcessors: [new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  // The AsyncLocalStorage context manager: spans started below the middleware find their parent.
  provider.register();
  const tracer = provider.getTracer('loyalty-idp');
  return {
    middleware: (ctx, next) => tracer.startActiveSpan(`${ctx.method} ${routeLabel(ctx.path)}`, {
      kind: api.SpanKind.SERVER,
      // Route templates, never the path: it may carry an interaction id or an unlock token.
      attributes: { 'http.request.method': ctx.method, 'http.route': routeLabel(ctx.path) },
    }, async (span) => {
      try {
        await next();
      } catch (error) {
        span.recordException(error as Error);
        throw error;
      } finally {
        // Set by the request-context middleware below this one.
        const requestId = ctx.state.requestId as string | undefined;
        if (requestId) span.setAttribute(REQUEST_ID_ATTRIBUTE, requestId);
        span.setAttribute('http.response.status_code', ctx.status);
        if (ctx.status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
        span.end();
      }
    }),
    async shutdown() {
      await provider.shutdown();
    },
  };
}
