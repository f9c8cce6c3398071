// The server as a real child process (`node server/main.ts`), for tests of what only a process has: signals,
// Node's HTTP server settings, exit codes and boot errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

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

/** Stops a server process the test started (if it is still running) and waits until it has exited. */
export async function stopServerProcess(server: ServerProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  await exitOf(server.child);
}

/** A loopback port free now (for a process that must come back on the same port after a kill). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A client-credentials token with scope admin from the bootstrap admin client `id`/`secret` of the server at `url`. */
export async function adminTokenFor(url: string, id: string, secret: string): Promise<string> {
  const response = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=admin',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
