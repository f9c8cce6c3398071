// The process's JSON logger: pino with secrets redacted and batched asynchronous writes to stdout.
import pino, { type Logger } from 'pino';
import type { Config } from '../config/index.ts';

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    // Belt and braces: whatever a log call passes, these never reach the log.
    redact: {
      paths: ['password', '*.password', 'code', '*.code', 'client_secret', '*.client_secret', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'],
      censor: '[redacted]',
    },
  // Asynchronous writes to stdout, one write per 4 KiB of lines (or every 250 ms when it is quiet)
  // rather than one per line. pino flushes what is buffered on process exit; only a SIGKILL can lose
  // the last few lines.
  }, pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 }));
}
