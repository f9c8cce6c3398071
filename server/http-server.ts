// The Node HTTP server around the app: timeouts suited to an identity provider, and a graceful close that lets
// requests in flight finish while keep-alive clients are sent elsewhere (issue 14, items 25 and 28).
import { createServer, type RequestListener, type Server } from 'node:http';
import { Server as NetServer } from 'node:net';

/** Longer than the 60 s idle timeout of common load balancers, so the balancer, not we, closes idle connections. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Headers come first and are small: a client that has not sent them in this long is not a slow network. */
const MAX_HEADERS_TIMEOUT_MS = 20_000;
/**
 * How long an idle keep-alive connection is left open after shutdown begins. A busy client's next request may
 * already be on the wire while its connection looks idle: closing it then would reset that request. Within this
 * grace such a request arrives, is answered with `Connection: close`, and the connection ends cleanly.
 */
const IDLE_GRACE_MS = 1_000;

export interface HttpServerOptions {
  /** Longest a client may take to send one whole request (REQUEST_TIMEOUT_SECONDS); then 408 and close. */
  requestTimeoutMs: number;
}

export function createHttpServer(handler: RequestListener, options: HttpServerOptions): Server {
  const { requestTimeoutMs } = options;
  return createServer({
    // Node's defaults (300 s per request, checked every 30 s) let slow senders hold connections for minutes.
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, MAX_HEADERS_TIMEOUT_MS),
    // The timeouts above are only enforced when Node checks: often enough that they mean what they say.
    connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(requestTimeoutMs / 4))),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  }, handler);
}

/**
 * Stops accepting connections and resolves once every connection has ended. The app answers with
 * `Connection: close` from now on (koa-connection-close.ts), so busy keep-alive connections end after their
 * current request; idle ones are closed after a short grace; whatever is still open after `drainTimeoutMs`
 * is cut (`onForce` says so first).
 */
export function closeGracefully(server: Server, drainTimeoutMs: number, onForce: () => void): Promise<void> {
  return new Promise((resolve) => {
    const idle = setTimeout(() => server.closeIdleConnections(), IDLE_GRACE_MS);
    const force = setTimeout(() => {
      onForce();
      server.closeAllConnections();
    }, drainTimeoutMs);
    // net.Server's close, not http.Server's: since Node 19 the latter also closes idle connections at once,
    // resetting a request that is already on its way in (see IDLE_GRACE_MS).
    NetServer.prototype.close.call(server, () => {
      clearTimeout(idle);
      clearTimeout(force);
      resolve();
    });
  });
}
