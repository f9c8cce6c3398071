// /admin/imports: an operator uploads an NDJSON or CSV file of members with the admin token and gets 202 and a job;
// the job's status shows its counts and progress, its report the rejected rows by line and field; uploads are
// bounded; and a job whose server is killed with SIGKILL mid-file resumes at the next boot from its last batch.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { dropMongoDatabase } from '../../../adapters/mongo/drop-database.ts';
import { allowFerretDbTime } from '../../support/ferretdb-timeout.ts';
import { mongoTestUri } from '../../support/mongo-uri.ts';
import { waitFor } from '../../support/wait-for.ts';
import { bootServerProcess, exitOf, type ServerProcess } from '../../support/server-process.ts';
import { ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, STORES, startTestServer, type TestServer } from '../../support/test-server.ts';

const hash = bcrypt.hashSync('old password', 4);

interface Job {
  id: string;
  state: string;
  counts: { imported: number; updated: number; unchanged: number; rejected: number };
  progress: { line: number };
  error: string | null;
}

function ndjson(tag: string, rows: number, badEvery: number): string {
  return Array.from({ length: rows }, (_, i) => JSON.stringify(i % badEvery === badEvery - 1
    ? { email: `bad${i}.${tag}@example.com`, email_verified: true, password_hash: 'nope' }
    : { email: `m${i}.${tag}@example.com`, email_verified: true, password_hash: hash, points_balance: i })).join('\n') + '\n';
}

async function tokenFor(url: string): Promise<string> {
  const response = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN_CLIENT_ID}:${ADMIN_CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=admin',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function upload(url: string, token: string | undefined, body: string, contentType: string): Promise<Response> {
  return fetch(`${url}/admin/imports`, { method: 'POST', headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
}

async function finished(url: string, token: string, id: string): Promise<Job> {
  for (;;) {
    const job = (await (await fetch(`${url}/admin/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Job;
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function report(url: string, token: string, id: string, query = ''): Promise<{ errors: Array<{ line: number; field: string; message: string }>; next_after_line: number | null }> {
  return (await fetch(`${url}/admin/imports/${id}/report${query}`, { headers: { authorization: `Bearer ${token}` } })).json() as never;
}

describe.each(STORES)('admin import jobs (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const tag = `${store}.${process.pid}`;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ store, env: { IMPORT_MAX_UPLOAD_BYTES: '4096' } });
    token = await server.adminToken();
  });
  afterAll(async () => server?.close());

  test('an NDJSON upload answers 202 with a job that imports the good rows and reports the bad ones by line', async () => {
    const response = await upload(server.url, token, ndjson(`nd.${tag}`, 10, 4), 'application/x-ndjson');
    expect(response.status).toBe(202);
    const started = (await response.json()) as Job;
    expect(response.headers.get('location')).toBe(`/admin/imports/${started.id}`);
    const job = await finished(server.url, token, started.id);
    expect(job).toMatchObject({ state: 'done', counts: { imported: 8, updated: 0, unchanged: 0, rejected: 2 }, progress: { line: 10 }, error: null });
    const { errors, next_after_line } = await report(server.url, token, started.id);
    expect(errors).toEqual([
      { line: 4, field: 'password_hash', message: 'unknown password hash format' },
      { line: 8, field: 'password_hash', message: 'unknown password hash format' },
    ]);
    expect(next_after_line).toBeNull();
    expect((await report(server.url, token, started.id, '?limit=1')).next_after_line).toBe(4);
    expect((await report(server.url, token, started.id, '?after_line=4')).errors.map((e) => e.line)).toEqual([8]);
    expect(await server.container.storage.accounts.findByEmail(`m0.nd.${tag}@example.com`)).toBeDefined();
  });

  test('a CSV upload is read by its header; a wrong header fails the job before any row', async () => {
    const csv = `email,email_verified,password_hash\ncsv.${tag}@example.com,true,${hash}\n`;
    const job = await finished(server.url, token, ((await (await upload(server.url, token, csv, 'text/csv')).json()) as Job).id);
    expect(job).toMatchObject({ state: 'done', counts: { imported: 1, rejected: 0 } });
    const wrong = await finished(server.url, token, ((await (await upload(server.url, token, `mail,password_hash\nx@example.com,${hash}\n`, 'text/csv; charset=utf-8')).json()) as Job).id);
    expect(wrong.state).toBe('failed');
    expect(wrong.error).toContain('wrong header');
  });

  test('the admin token is required, the type must be NDJSON or CSV, and uploads are bounded', async () => {
    expect((await upload(server.url, undefined, ndjson('x', 1, 9), 'application/x-ndjson')).status).toBe(401);
    expect((await upload(server.url, token, '{}', 'application/json')).status).toBe(415);
    expect((await upload(server.url, token, ndjson(`big.${tag}`, 40, 99), 'application/x-ndjson')).status).toBe(413);
    expect((await fetch(`${server.url}/admin/imports/${randomUUID()}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });
});

describe.each(STORES)('an admin import job survives kill -9 of its server (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-import-job-'));
  const mongoUri = mongoTestUri(`idp_importjob_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN_CLIENT_ID,
    BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_CLIENT_SECRET,
    IMPORT_TEST_BATCH_SIZE: '5',
    ...(store === 'mongo' ? { MONGODB_URI: mongoUri } : {}),
  };
  const processes: ServerProcess[] = [];

  afterAll(async () => {
    for (const { child } of processes) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exitOf(child);
      }
    }
    if (store === 'mongo') await dropMongoDatabase(mongoUri);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the next boot resumes the job after its last committed batch and ends with the same counts and report', async () => {
    const first = await bootServerProcess({ ...env, IMPORT_TEST_PAUSE_AFTER_BATCH: '2' });
    processes.push(first);
    const token = await tokenFor(first.url);
    const started = (await (await upload(first.url, token, ndjson(`kill.${store}.${process.pid}`, 23, 6), 'application/x-ndjson')).json()) as Job;
    await waitFor(() => (first.output().includes('import job paused') ? true : undefined), { timeoutMs: 120_000, what: 'the job did not pause after batch 2' });
    const paused = (await (await fetch(`${first.url}/admin/imports/${started.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Job;
    expect(paused).toMatchObject({ state: 'running', progress: { line: 10 }, counts: { imported: 9, rejected: 1 } });
    first.child.kill('SIGKILL');
    await exitOf(first.child);

    const second = await bootServerProcess(env);
    processes.push(second);
    const secondToken = await tokenFor(second.url);
    const job = await finished(second.url, secondToken, started.id);
    expect(job).toMatchObject({ state: 'done', counts: { imported: 20, updated: 0, unchanged: 0, rejected: 3 }, progress: { line: 23 } });
    expect((await report(second.url, secondToken, started.id)).errors.map((error) => error.line)).toEqual([6, 12, 18]);
  });
});
