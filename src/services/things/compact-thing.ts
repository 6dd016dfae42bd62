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
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;

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

/** Whether `JSON.stringify` writes `s` as it is between quotes (nothing in it is escaped). */
function unescaped(s: string): boolean {
  return JSON.stringify(s).length === s.length + 2;
}

/**
 * The rest of a stored thing's text after its leading `thingId` and `policyId` members, when
 * these are `thingId` and `policyId` as they are, unescaped; else undefined. The rest begins with
 * the comma before the next member or with the closing brace, never with `{` as a whole text does.
 */
export function afterLeadingIds(text: string, thingId: string, policyId: string | undefined): string | undefined {
  if (policyId === undefined || !unescaped(thingId) || !unescaped(policyId)) return undefined;
  const head = `${THING_ID_FIRST}"${thingId}"${POLICY_ID_NEXT}"${policyId}"`;
  if (text.length <= head.length || !text.startsWith(head) || !endsMember(text, head.length)) return undefined;
  // Joined into a string of its own: a slice alone would keep the whole text alive.
  return flattened(text.charAt(head.length) + text.slice(head.length + 1));
}

/**
 * A cached thing state that keeps its JSON as one string: a thing's objects cost about a third
 * more than its text (a benchmark thing of 317 characters: 9 objects, 5 strings and a number,
 * ~450 bytes against ~330), and a server caches up to 200,000 of them. The leading `thingId` and
 * `policyId` members are left out of the kept string when the thing holds both IDs anyway (about
 * a fifth of the benchmark thing's text, ~6 MiB for 100,000 things) and put back when the text is
 * asked for. `data` parses the text when asked and keeps the result while the thing is among the
 * PARSED_THINGS most recently parsed, so a hot thing is parsed once and the accesses of one
 * request see the same objects unless thousands of other things are parsed meanwhile (nothing
 * relies on that identity). The parsed JSON must not be changed (no state's is: commands build
 * new states). What every request needs is at hand without parsing: the policy ID, and the text
 * itself for an answer that is the whole thing.
 */
export class CompactThing implements StoredEntity {
  readonly id: string;
  readonly revision: number;
  readonly created: string;
  readonly modified: string;
  readonly deleted: boolean;
  /** `data.policyId` when it is a string (the very string of `id` when the two are equal). */
  readonly policyId: string | undefined;
  /** The whole text, or what follows its leading IDs (afterLeadingIds: then it begins with `,` or `}`, which no whole text does). */
  private readonly json: string;
  private parsed: JsonObject | undefined;

  constructor(e: StoredEntity) {
    this.id = e.id;
    this.revision = e.revision;
    this.created = e.created;
    this.modified = e.modified;
    this.deleted = e.deleted;
    // A state loaded from the store comes with its text: it is kept as it is, and not parsed.
    const text = e.dataText ?? JSON.stringify(e.data);
    const policyId = (e.dataText === undefined ? undefined : leadingPolicyId(text)) ?? policyIdIn(e.data);
    this.policyId = policyId === e.id ? e.id : policyId;
    this.json = afterLeadingIds(text, e.id, this.policyId) ?? flattened(text);
    // The objects of the state are not kept: a read of the whole thing answers with the text, and
    // objects held in the ring live long enough to be promoted to the old generation, where a
    // cache filled from the store left tens of megabytes of them as garbage.
    this.parsed = undefined;
  }

  /** On the prototype: a field would cost every cached thing 8 bytes. */
  get type(): 'thing' {
    return 'thing';
  }

  /** `JSON.stringify(data)` when `data` begins with its `thingId` (as stored things do); else undefined. */
  get text(): string | undefined {
    const json = this.json;
    const first = json.charCodeAt(0);
    if (first === COMMA || first === CLOSE_BRACE) return `${THING_ID_FIRST}"${this.id}"${POLICY_ID_NEXT}"${this.policyId ?? ''}"${json}`;
    return json.startsWith(THING_ID_FIRST) ? json : undefined;
  }

  get data(): JsonObject {
    if (this.parsed !== undefined) return this.parsed;
    const parsed = JSON.parse(this.text ?? this.json) as JsonObject;
    this.parsed = parsed;
    ring.hold(this);
    return parsed;
  }

  /** Lets go of the parsed JSON (ParsedRing). */
  release(): void {
    this.parsed = undefined;
  }
}
