// Optional OpenTelemetry tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, every request's span reaches an OTLP/HTTP
// collector (a tiny receiver here) named by its route and carrying the request id of X-Request-Id; without it,
// no tracer is started. Storage is not involved: one store is enough.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../support/test-server.ts';

interface OtlpSpan {
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}
interface OtlpExport {
  resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

/** An OTLP/HTTP receiver: records the JSON exports posted to /v1/traces. */
async function startCollector(): Promise<{ url: string; exports: Array<{ contentType: string; body: OtlpExport }>; server: Server; posted(): Promise<void> }> {
  const exports: Array<{ contentType: string; body: OtlpExport }> = [];
  let wake: (() => void) | undefined;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') exports.push({ contentType: String(req.headers['content-type']), body: JSON.parse(raw) as OtlpExport });
      wake?.();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    server,
    posted: () => new Promise<void>((resolve) => (wake = resolve)),
  };
}

const spansOf = (exports: Array<{ body: OtlpExport }>) => exports.flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;

describe('OpenTelemetry tracing (sqlite)', () => {
  test('with an OTLP endpoint, a request\'s span reaches the collector with its route, status and request id', async () => {
    const collector = await startCollector();
    let server: TestServer | undefined;
    try {
      server = await startTestServer({ store: 'sqlite', env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
      expect(server.container.tracing).toBeDefined();
      const response = await fetch(`${server.url}/.well-known/openid-configuration`);
      expect(response.status).toBe(200);
      const requestId = response.headers.get('x-request-id');
      expect(requestId).toBeTruthy();
      // Shutdown flushes the batch: the export arrives before close() resolves.
      await server.close();
      server = undefined;
      const spans = spansOf(collector.exports);
      const span = spans.find((s) => attribute(s, 'request.id')?.stringValue === requestId);
      expect(span).toBeDefined();
      expect(span!.name).toBe('GET /.well-known/openid-configuration');
      expect(span!.kind).toBe(2); // SPAN_KIND_SERVER
      expect(Number(attribute(span!, 'http.response.status_code')?.intValue)).toBe(200);
      expect(collector.exports[0]!.contentType).toMatch(/^application\/json/);
      const service = collector.exports[0]!.body.resourceSpans[0]!.resource.attributes.find((a) => a.key === 'service.name');
      expect(service?.value.stringValue).toBe('loyalty-idp');
    } finally {
      await server?.close();
      await new Promise<void>((resolve) => collector.server.close(() => resolve()));
    }
  });

  test('without it, no tracer is started', async () => {
    const server = await startTestServer({ store: 'sqlite' });
    try {
      expect(server.container.tracing).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
