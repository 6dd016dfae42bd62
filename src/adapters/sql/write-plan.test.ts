import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityWrite, WriteUnit } from '../../ports/store.ts';
import { encodeRound, planRounds, validateUnit } from './write-plan.ts';

function write(id: string, revision: number, expectedRevision = revision - 1): EntityWrite {
  return {
    entity: { type: 'thing', id, revision, created: 't0', modified: 't1', deleted: false, data: { id } },
    event: { revision },
    expectedRevision,
  };
}

const ids = (round: readonly { unit: number; write: EntityWrite }[] | undefined) =>
  (round ?? []).map((p) => `${p.unit}:${p.write.entity.id}@${p.write.entity.revision}`);

void describe('planRounds', () => {
  void it('puts distinct entities in one round', () => {
    const rounds = planRounds([[0, [write('a', 1)]], [1, [write('b', 1), write('c', 1)]]]);
    assert.equal(rounds.length, 1);
    assert.deepEqual(ids(rounds[0]), ['0:a@1', '1:b@1', '1:c@1']);
  });

  void it('moves a second write of an entity to a later round, keeping order', () => {
    const rounds = planRounds([[0, [write('a', 1)]], [3, [write('a', 2), write('b', 1)]], [4, [write('a', 3)]]]);
    assert.deepEqual(rounds.map(ids), [['0:a@1', '3:b@1'], ['3:a@2'], ['4:a@3']]);
  });
});

void describe('validateUnit', () => {
  void it('accepts well-formed units, empty ones included', () => {
    assert.equal(validateUnit([write('a', 1), write('b', 7, 3)]), undefined);
    assert.equal(validateUnit([]), undefined);
  });

  void it('rejects revisions that do not move forward and unknown types', () => {
    assert.match(validateUnit([write('a', 3, 3)])?.message ?? '', /does not follow/);
    assert.match(validateUnit([write('a', 1, -1)])?.message ?? '', /non-negative/);
    assert.match(validateUnit([write('a', 1.5, 0)])?.message ?? '', /does not follow/);
    const bad: WriteUnit = [{ ...write('a', 1), entity: { ...write('a', 1).entity, type: 'gadget' as 'thing' } }];
    assert.match(validateUnit(bad)?.message ?? '', /unknown entity type/);
  });
});

void describe('encodeRound', () => {
  void it('carries documents as JSON text so key order and NUL escapes survive', () => {
    const w = write('a', 1);
    const data = { z: 1, a: 'x\u0000y' };
    const [row] = JSON.parse(encodeRound([{ unit: 0, write: { ...w, entity: { ...w.entity, data } } }])) as { data: string }[];
    assert.equal(row?.data, '{"z":1,"a":"x\\u0000y"}');
  });

  void it("writes a state's text when it has one, without serialising its data", () => {
    const w = write('a', 1);
    const entity = Object.defineProperty({ ...w.entity, dataText: '{"id":"a","text":true}' }, 'data', { get: () => assert.fail('serialised') });
    const [row] = JSON.parse(encodeRound([{ unit: 0, write: { ...w, entity } }])) as { data: string }[];
    assert.equal(row?.data, '{"id":"a","text":true}');
  });
});
