// Says `Connection: close` when a keep-alive connection must not carry another request: the request body was
// left unread (too large, refused before it was read), or the server is draining for shutdown.
import type { Middleware } from 'koa';

/**
 * A body parser that stops at its size limit leaves the rest of the body paused in the socket: Node then never
 * reads the next request on that connection, and the client waits until the connection is reset (issue 14,
 * item 24). Closing is cheaper than draining a body of unknown size. On shutdown every answer closes its
 * connection, so busy keep-alive clients move to another instance after their current request instead of
 * being cut at the end of the drain (item 25).
 */
export function connectionClose(isShuttingDown: () => boolean): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      // Koa writes the head after the middleware returns, so a header set here is still sent.
      if (!ctx.headerSent && (!ctx.req.complete || isShuttingDown())) ctx.set('Connection', 'close');
      // Read and drop what is left of an unread body while the answer goes out: closing a socket with unread
      // input makes the kernel send a reset, which can reach the client before it has read the answer.
      if (!ctx.req.complete) ctx.req.resume();
    }
  };
}
