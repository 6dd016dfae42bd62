import type { JsonObject } from '../../model/json.ts';
import { endsMember, flattened, stringTokenEnd } from '../../model/json-text.ts';
import type { StoredEntity } from '../../ports/store.ts';

/** How many cached things keep their parsed JSON besides the text (the most recently parsed). */
export const PARSED_THINGS = 4096;

/**
 * The things whose parsed JSON is held, oldest first in a ring: a thing that parses takes the
 * oldest slot, and the thing there lets go of its objects (it parses again when next asked).
 */
class ParsedRing {
  private readonly slots: (CompactThing | undefined)[];
  private next = 0;

  constructor(size: number) {
    this.slots = new Array<CompactThing | undefined>(size).fill(undefined);
  }

  hold(thing: CompactThing): void {
    const oldest = this.slots[this.next];
    if (oldest !== undefined && oldest !== thing) oldest.release();
    this.slots[this.next] = thing;
    this.next = (this.next + 1) % this.slots.length;
  }
}

const ring = new ParsedRing(PARSED_THINGS);

const THING_ID_FIRST = '{"thingId":';
const POLICY_ID_NEXT = ',"policyId":';

/**
 * The policy ID of a stored thing's text without parsing the text: a stored thing begins with its
 * `thingId` and then its `policyId`. Undefined when the text does not begin so (or the policy ID
 * is not a string); the caller parses it then.
 */
export function leadingPolicyId(text: string): string | undefined {
  if (!text.startsWith(THING_ID_FIRST)) return undefined;
  const idEnd = stringTokenEnd(text, THING_ID_FIRST.length);
  if (idEnd < 0 || !text.startsWith(POLICY_ID_NEXT, idEnd)) return undefined;
  const start = idEnd + POLICY_ID_NEXT.length;
  const end = stringTokenEnd(text, start);
  if (end < 0 || !endsMember(text, end)) return undefined;
  // Parsing the token alone decodes its escapes and copies it out of the text.
  return JSON.parse(text.slice(start, end)) as string;
}

/** A thing's `policyId` when it is a string. */
export function policyIdIn(data: JsonObject): string | undefined {
  const policyId = data['policyId'];
  return typeof policyId === 'string' ? policyId : undefined;
}

/**
 * A cached thing state that keeps its JSON as one string: a thing's objects cost about a third
 * more than its text (a benchmark thing of 317 characters: 9 objects, 5 strings and a number,
 * ~450 bytes against ~330), and a server caches up to 200,000 of them. `data` parses the text
 * when asked and keeps the result while the thing is among the PARSED_THINGS most recently
 * parsed, so a hot thing is parsed once and the accesses of one request see the same objects
 * unless thousands of other things are parsed meanwhile (nothing relies on that identity). The
 * parsed JSON must not be changed (no state's is: commands build new states). What every request
 * needs is at hand without parsing: the policy ID, and the text itself for an answer that is the
 * whole thing.
 */
export class CompactThing implements StoredEntity {
  readonly type = 'thing' as const;
  readonly id: string;
  readonly revision: number;
  readonly created: string;
  readonly modified: string;
  readonly deleted: boolean;
  /** `data.policyId` when it is a string (the very string of `id` when the two are equal). */
  readonly policyId: string | undefined;
  private readonly json: string;
  private parsed: JsonObject | undefined;

  constructor(e: StoredEntity) {
    this.id = e.id;
    this.revision = e.revision;
    this.created = e.created;
    this.modified = e.modified;
    this.deleted = e.deleted;
    // A state loaded from the store comes with its text: it is kept as it is, and not parsed.
    const text = e.dataText;
    const policyId = (text === undefined ? undefined : leadingPolicyId(text)) ?? policyIdIn(e.data);
    this.policyId = policyId === e.id ? e.id : policyId;
    this.json = text ?? flattened(JSON.stringify(e.data));
    // The objects of the state are not kept: a read of the whole thing answers with the text, and
    // objects held in the ring live long enough to be promoted to the old generation, where a
    // cache filled from the store left tens of megabytes of them as garbage.
    this.parsed = undefined;
  }

  /** `JSON.stringify(data)` when `data` begins with its `thingId` (as stored things do); else undefined. */
  get text(): string | undefined {
    return this.json.startsWith(THING_ID_FIRST) ? this.json : undefined;
  }

  get data(): JsonObject {
    if (this.parsed !== undefined) return this.parsed;
    const parsed = JSON.parse(this.json) as JsonObject;
    this.parsed = parsed;
    ring.hold(this);
    return parsed;
  }

  /** Lets go of the parsed JSON (ParsedRing). */
  release(): void {
    this.parsed = undefined;
  }
}

