import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPgliteClient, type PgliteClient } from '../pglite/index.ts';
import type { SqlRow } from './client.ts';
import { GrowthAnalyzer, type AnalyzerRun } from './growth-analyzer.ts';

void describe('GrowthAnalyzer', () => {
  let db: PgliteClient;
  const ran: string[] = [];
  // The real database, with the statements the analyzer sends recorded.
  const recording = {
    query: <T extends SqlRow = SqlRow>(text: string, params?: readonly unknown[]) => {
      if (!text.startsWith('SELECT reltuples')) ran.push(text);
      return db.query<T>(text, params);
    },
    transaction: () => Promise.reject(new Error('unused')),
    close: () => Promise.resolve(),
  };
  before(async () => {
    db = await openPgliteClient();
    await db.query('CREATE TABLE grows (id int PRIMARY KEY)');
  });
  after(() => db.close());

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  void it('analyzes once the changes reach the minimum, then once they reach the size it found', async () => {
    ran.length = 0;
    const errors: unknown[] = [];
    const done: AnalyzerRun[] = [];
    const analyzer = new GrowthAnalyzer(recording, ['ANALYZE grows', 'VACUUM grows'], 'grows', 100, (e) => errors.push(e), (d) => done.push(d));
    await db.query('INSERT INTO grows SELECT g FROM generate_series(1, 99) g');
    analyzer.note(99);
    await settle();
    await analyzer.idle();
    assert.deepEqual(ran, [], 'below the minimum');
    await db.query('INSERT INTO grows VALUES (100)');
    analyzer.note(1);
    analyzer.note(1); // while it is pending: still one ANALYZE
    await settle();
    await analyzer.idle();
    assert.deepEqual(ran, ['ANALYZE grows', 'VACUUM grows'], 'both statements, in order, once');
    // Each background run is reported with its time and the rows the table was found to hold.
    assert.equal(done.length, 1);
    assert.equal(done[0]?.rows, 100);
    assert.ok(Number.isInteger(done[0]?.ms) && (done[0]?.ms ?? -1) >= 0);
    assert.ok(Number.isInteger(done[0]?.longestMs) && (done[0]?.longestMs ?? -1) >= 0 && (done[0]?.longestMs ?? 0) <= (done[0]?.ms ?? -1));
    ran.length = 0;
    analyzer.note(99);
    await settle();
    await analyzer.idle();
    assert.deepEqual(ran, [], 'the table had 100 rows: 100 changes are needed now');
    analyzer.note(1);
    await settle();
    await analyzer.idle();
    assert.deepEqual(ran, ['ANALYZE grows', 'VACUUM grows']);
    assert.deepEqual(errors, []);
  });

  void it('lets what was sent during a statement, and what follows it, run before its next one', async () => {
    // On PGlite a statement holds the only connection; the writes queued meanwhile must not wait
    // for the whole run, nor those sent once they are answered. The first statement takes 50 ms,
    // so the pause after it (100 ms) leaves room for a round trip on a busy machine.
    const order: string[] = [];
    const FIRST = 'SELECT pg_sleep(0.05)';
    const interleaving = {
      ...recording,
      query: <T extends SqlRow = SqlRow>(text: string, params?: readonly unknown[]) => {
        if (text.startsWith('SELECT reltuples')) return db.query<T>(text, params);
        const answer = db.query<T>(text, params).then((rows) => {
          order.push(`${text} answered`);
          return rows;
        });
        if (text === FIRST) {
          // As the group committer does: the next batch goes once the one in flight has ended.
          void db.query(`SELECT 'sent during it'`).then(async () => {
            order.push('the query sent during it answered');
            await db.query(`SELECT 'sent after it'`);
            order.push('the query sent after it answered');
          });
        }
        return answer;
      },
    };
    const errors: unknown[] = [];
    const analyzer = new GrowthAnalyzer(interleaving, [FIRST, 'VACUUM grows'], 'grows', 1, (e) => errors.push(e));
    analyzer.note(1);
    await settle();
    await analyzer.idle();
    assert.deepEqual(order, [`${FIRST} answered`, 'the query sent during it answered', 'the query sent after it answered', 'VACUUM grows answered']);
    assert.deepEqual(errors, []);
  });

  void it('stops in a pause between statements without running the rest', async () => {
    const sent: string[] = [];
    const done: AnalyzerRun[] = [];
    let stopTook: Promise<number> | undefined;
    const stopping = {
      ...recording,
      query: <T extends SqlRow = SqlRow>(text: string, params?: readonly unknown[]) => {
        if (!text.startsWith('SELECT reltuples')) sent.push(text);
        return db.query<T>(text, params).then((rows) => {
          if (text.startsWith('SELECT pg_sleep')) {
            // Stopped 0.1 s into the pause.
            stopTook = new Promise((resolve) => setTimeout(resolve, 100)).then(() => {
              const asked = performance.now();
              return analyzer.stop().then(() => performance.now() - asked);
            });
          }
          return rows;
        });
      },
    };
    const errors: unknown[] = [];
    // The first statement takes 0.4 s, so the pause after it would take 0.8 s.
    const analyzer = new GrowthAnalyzer(stopping, ['SELECT pg_sleep(0.4)', 'VACUUM grows'], 'grows', 1, (e) => errors.push(e), (d) => done.push(d));
    analyzer.note(1);
    await settle();
    await analyzer.idle();
    const took = await stopTook;
    assert.ok(took !== undefined && took < 400, `stop took ${String(took)} ms; it should cut the pause short`);
    assert.deepEqual(sent, ['SELECT pg_sleep(0.4)'], 'nothing after the pause');
    assert.deepEqual(done, [], 'a cut run is not reported');
    assert.deepEqual(errors, []);
  });

  void it('starts nothing once stopped, and reports failures without throwing', async () => {
    ran.length = 0;
    const errors: unknown[] = [];
    const failing = new GrowthAnalyzer(recording, ['ANALYZE no_such_table'], 'grows', 1, (e) => errors.push(e));
    failing.note(1);
    await settle();
    await failing.idle();
    assert.equal(errors.length, 1);
    const stopped = new GrowthAnalyzer(recording, ['ANALYZE grows'], 'grows', 1, (e) => errors.push(e));
    await stopped.stop();
    ran.length = 0;
    stopped.note(1_000);
    await settle();
    await stopped.idle();
    assert.deepEqual(ran, []);
  });
});
