// A real SMTP server on loopback that keeps what it receives, so tests read codes the way members do.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait-for.ts';

/**
 * How long a test waits for a message before it fails. Generous on purpose: the wait ends as soon as the message
 * is there, and on a busy two-core machine (CI with builds beside it) a queued delivery once took over 10 s.
 */
const MAIL_WAIT_MS = 60_000;

export interface ReceivedMail {
  to: string[];
  raw: string;
  /** The message with quoted-printable soft breaks and escapes undone (good enough for plain-text mail). */
  text: string;
}

/** Quoted-printable soft breaks aside, the code stands alone on its own line. */
function codeIn(text: string): string | undefined {
  return /^(\d{6})\r?$/m.exec(text)?.[1];
}

function decodeQuotedPrintable(raw: string): string {
  const bytes = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

export interface SmtpSink {
  url: string;
  messages: ReceivedMail[];
  /** Waits for the first message to `to` with a 6-digit code after the first `after` messages, and returns the code. */
  waitForCode(to: string, options?: { after?: number; timeoutMs?: number }): Promise<string>;
  waitForMessage(to: string, options?: { after?: number; timeoutMs?: number }): Promise<ReceivedMail>;
  countFor(to: string): number;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Answer each message this many ms late, like a remote SMTP server (the timing tests' 40 ms). */
  delayMs?: number;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const accept = () => {
          messages.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw, text: decodeQuotedPrintable(raw) });
          callback();
        };
        if (options.delayMs) setTimeout(accept, options.delayMs);
        else accept();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const forRecipient = (to: string) => messages.filter((m) => m.to.includes(to.toLowerCase()));

  function waitForMessage(to: string, { after = 0, timeoutMs = MAIL_WAIT_MS } = {}): Promise<ReceivedMail> {
    return waitFor(() => forRecipient(to)[after], { timeoutMs, what: `no email #${after + 1} for ${to}` });
  }

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitForMessage,
    async waitForCode(to, { after = 0, timeoutMs = MAIL_WAIT_MS } = {}) {
      // Mail goes out after the server's answer, so a notice sent by an earlier step may land after the
      // caller counted `after`: the first message from there on that carries a code is the one.
      const mail = await waitFor(() => forRecipient(to).slice(after).find((m) => codeIn(m.text) !== undefined), { timeoutMs, what: `no email with a code #${after + 1}+ for ${to}` });
      return codeIn(mail.text)!;
    },
    countFor: (to) => forRecipient(to).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
