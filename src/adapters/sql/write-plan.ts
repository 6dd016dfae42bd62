import type { EntityType, EntityWrite, WriteUnit } from '../../ports/store.ts';
import { InvalidWriteError } from '../../services/persistence/errors.ts';

const ENTITY_TYPES: ReadonlySet<string> = new Set<EntityType>(['thing', 'policy', 'connection']);

/** A write with the index of the unit it belongs to in the `commit` call. */
export interface PlannedWrite {
  readonly unit: number;
  readonly write: EntityWrite;
}

export function entityKey(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

/** Why a unit can never be applied, or undefined when it is well-formed. */
export function validateUnit(unit: WriteUnit): InvalidWriteError | undefined {
  for (const { entity, expectedRevision } of unit) {
    const what = `${entity.type} '${entity.id}'`;
    if (!ENTITY_TYPES.has(entity.type)) return new InvalidWriteError(`unknown entity type '${entity.type}'`);
    if (entity.id.length === 0) return new InvalidWriteError('an entity ID must not be empty');
    if (!Number.isSafeInteger(expectedRevision) || expectedRevision < 0) {
      return new InvalidWriteError(`expected revision ${expectedRevision} of ${what} is not a non-negative integer`);
    }
    if (!Number.isSafeInteger(entity.revision) || entity.revision <= expectedRevision) {
      return new InvalidWriteError(`revision ${entity.revision} of ${what} does not follow expected revision ${expectedRevision}`);
    }
  }
  return undefined;
}

/**
 * Splits the writes of several units into rounds in which every entity occurs at most once, in
 * submission order: a multi-row upsert cannot touch one row twice, and the second write of an
 * entity must see the first. Usually there is one round, so a batch costs one statement.
 */
export function planRounds(units: readonly (readonly [number, WriteUnit])[]): PlannedWrite[][] {
  const seen = new Map<string, number>();
  const rounds: PlannedWrite[][] = [];
  for (const [unit, writes] of units) {
    for (const write of writes) {
      const key = entityKey(write.entity.type, write.entity.id);
      const round = seen.get(key) ?? 0;
      seen.set(key, round + 1);
      let list = rounds[round];
      if (list === undefined) {
        list = [];
        rounds[round] = list;
      }
      list.push({ unit, write });
    }
  }
  return rounds;
}

/**
 * One round as a single JSON parameter for json_to_recordset. The documents travel as JSON text
 * inside it: json_to_recordset would otherwise parse them and reject \u0000 escapes, and `json`
 * keeps the text as written.
 */
export function encodeRound(round: readonly PlannedWrite[]): string {
  return JSON.stringify(
    round.map(({ write: { entity, event, expectedRevision } }) => ({
      entity_type: entity.type,
      entity_id: entity.id,
      revision: entity.revision,
      expected: expectedRevision,
      created: entity.created,
      modified: entity.modified,
      deleted: entity.deleted,
      data: entity.dataText ?? JSON.stringify(entity.data),
      event: JSON.stringify(event),
    })),
  );
}
