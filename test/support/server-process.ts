// The server as a real child process (`node server/main.ts`), for tests of what only a process has: signals,
// Node's HTTP server settings, exit codes and boot errors.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['server/main.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Boots the server and resolves once it logs the port it listens on. */
export async function bootServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const { child, output } = start(env);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const port = /"port":(\d+)[^\n]*"msg":"listening"/.exec(output())?.[1];
    if (port) return { child, url: `http://127.0.0.1:${port}`, output };
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the server expecting it to refuse to boot: its exit code and everything it printed. */
export async function failedBoot(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { child, output } = start(env);
  const code = await exitOf(child);
  return { code, output: output() };
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}
