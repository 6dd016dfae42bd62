import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startTestServer } from '../support/doppel-server.ts';
import { createPostgresSchema, postgresForTests, type TestSchema } from '../support/postgres.ts';

const root = new URL('../../', import.meta.url).pathname;

interface Child {
  readonly proc: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function startCli(env: Record<string, string>): Child {
  // As `npm start` runs it: compiled into dist/ (built here first when the sources changed).
  const proc = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DOPPEL_HOST: '127.0.0.1', DOPPEL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

async function readyPort(child: Child, timeoutMs = 60_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const m = /"port":(\d+)[^\n]*doppel is ready|doppel is ready[^\n]*"port":(\d+)/.exec(child.output());
    if (m !== null) return Number(m[1] ?? m[2]);
    if (child.proc.exitCode !== null) throw new Error(`server exited: ${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server not ready: ${child.output()}`);
}

describe('the embedded store on disk', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doppel-life-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('data survives a restart; a second process on the same directory refuses; SIGTERM exits cleanly', async () => {
    const first = startCli({ DOPPEL_DATA_DIR: dir });
    const port = await readyPort(first);
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await call(base, 'PUT', '/api/2/things/life:one', { body: { attributes: { a: 1 } } })).status, 201);

    const second = startCli({ DOPPEL_DATA_DIR: dir });
    const code = await second.exited;
    assert.notEqual(code, 0);
    assert.match(second.output(), /in use/);

    // A write in flight when SIGTERM arrives still completes.
    const inflight = call(base, 'PUT', '/api/2/things/life:one/attributes/b', { body: 2 });
    await new Promise((r) => setTimeout(r, 5));
    first.proc.kill('SIGTERM');
    const answer = await inflight.catch(() => undefined);
    assert.equal(await first.exited, 0);

    const again = startCli({ DOPPEL_DATA_DIR: dir });
    const port2 = await readyPort(again);
    const r = await call(`http://127.0.0.1:${port2}`, 'GET', '/api/2/things/life:one?fields=attributes,_revision');
    const v = r.json as { attributes: Record<string, number>; _revision: number };
    assert.equal(v.attributes['a'], 1);
    if (answer?.status === 201) assert.equal(v.attributes['b'], 2, 'an acknowledged write survives');
    again.proc.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  test('a stale lock of a dead process is taken over', async () => {
    const stale = await mkdtemp(join(tmpdir(), 'doppel-stale-'));
    try {
      await writeFile(join(stale, 'doppel.lock'), '999999999\n');
      const child = startCli({ DOPPEL_DATA_DIR: stale });
      await readyPort(child);
      child.proc.kill('SIGTERM');
      assert.equal(await child.exited, 0);
    } finally {
      await rm(stale, { recursive: true, force: true });
    }
  });

  test('invalid configuration is reported at once, all problems together', async () => {
    const child = startCli({ PORT: 'x', DOPPEL_MAX_JSON_DEPTH: '-1' });
    assert.equal(await child.exited, 2);
    assert.match(child.output(), /PORT/);
    assert.match(child.output(), /DOPPEL_MAX_JSON_DEPTH/);
  });
});

describe('health', () => {
  test('503 once the store cannot be reached', async () => {
    const server = await startTestServer();
    try {
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
      await server.doppel.store.close();
      assert.equal((await fetch(`${server.url}/health`)).status, 503);
    } finally {
      await server.doppel.http.close();
    }
  });
});

describe('PostgreSQL', async () => {
  const pg = await postgresForTests();
  let schema: TestSchema | undefined;
  before(async () => {
    if (pg.url !== undefined) schema = await createPostgresSchema(pg.url);
  });
  after(async () => {
    await schema?.drop();
  });

  test('the same API on PostgreSQL, persisted across restarts', { skip: pg.skip }, async () => {
    assert.ok(schema !== undefined);
    const overrides = { postgresUrl: schema.url, postgresSchema: schema.schema };
    const one = await startTestServer(overrides);
    try {
      assert.equal((await call(one.url, 'PUT', '/api/2/things/pg:one', { body: { attributes: { a: 1 } } })).status, 201);
      assert.equal((await call(one.url, 'PATCH', '/api/2/things/pg:one', { body: { attributes: { b: 2 } } })).status, 204);
      const writes = await Promise.all(Array.from({ length: 50 }, (_, i) => call(one.url, 'PUT', `/api/2/things/pg:many-${i}`, { body: {} })));
      assert.ok(writes.every((w) => w.status === 201));
    } finally {
      await one.close();
    }
    const two = await startTestServer(overrides);
    try {
      const r = await call(two.url, 'GET', '/api/2/things/pg:one?fields=attributes,_revision');
      assert.deepEqual(r.json, { attributes: { a: 1, b: 2 }, _revision: 2 });
      const ids = await call(two.url, 'GET', `/api/2/things?ids=pg:many-0,pg:many-49&fields=thingId`);
      assert.deepEqual(ids.json, [{ thingId: 'pg:many-0' }, { thingId: 'pg:many-49' }]);
      assert.equal((await call(two.url, 'PUT', '/api/2/things/pg:one/attributes/c', { body: 3 })).headers.get('entity-revision'), '3');
    } finally {
      await two.close();
    }
  });
});
