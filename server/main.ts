// Process entry: load config (fail fast), build the container, listen, and shut down gracefully on SIGTERM/SIGINT.
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../config/index.ts';
import { buildApp } from './app.ts';
import { createContainer } from './container.ts';
import { trimHeapAfterBoot } from './heap-trim.ts';
import { createLogger } from './logger.ts';
import { closeGracefully, createHttpServer } from './http-server.ts';
import { lowerBackgroundThreads } from './thread-priority.ts';

const DRAIN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config);
  const container = await createContainer(config, { logger });
  const app = buildApp(container);
  const server = createHttpServer(app.provider.callback(), { requestTimeoutMs: config.requestTimeoutMs });
  // Password hashing queues behind the event loop on the cores, not the other way round.
  const lowered = await lowerBackgroundThreads(config.threadPoolNice);
  if (lowered > 0) logger.info({ threads: lowered, nice: config.threadPoolNice }, 'thread pool priority lowered');
  // Booted: give back what boot made V8 keep, before the first request can wait on the collection.
  trimHeapAfterBoot();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  // The bound port, not the configured one: PORT=0 asks the OS for a free port (tests, benchmarks).
  const { port } = server.address() as AddressInfo;
  logger.info({ issuer: config.issuer, host: config.host, port, store: container.storage.kind }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Readiness answers 503 and every response closes its connection from here on; requests in flight finish.
    app.setShuttingDown();
    await closeGracefully(server, DRAIN_TIMEOUT_MS, () => logger.warn('drain timeout, closing remaining connections'));
    await container.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
