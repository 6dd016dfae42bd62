import { isJsonObject, type JsonObject } from '../../model/json.ts';
import { envelopeToJson, normalizePath, parseEnvelope, type Envelope } from '../../protocol/index.ts';
import type { DittoHeaders } from '../../signals/index.ts';

/**
 * How live signals travel on the bus, so that a NATS bus carries them between processes as they
 * are: the subject mirrors the topic (namespace last, its dots being subject separators), the
 * payload is the Ditto Protocol envelope JSON with every header, internal ones included (the
 * reply address, the sender's origin), plus the ID of the policy that decides who may receive it.
 */

export type LiveCriterion = 'commands' | 'events' | 'messages';

function namespaceTokens(thingId: string): string {
  const colon = thingId.indexOf(':');
  return colon <= 0 ? '_' : thingId.slice(0, colon);
}

/** `things.live.<commands|events|messages>.<namespace>` */
export function liveSubject(criterion: LiveCriterion, thingId: string): string {
  return `things.live.${criterion}.${namespaceTokens(thingId)}`;
}

export const LIVE_SUBJECTS = 'things.live.>';

/** The subject one process receives responses and acknowledgements on. */
export function replySubject(processId: string): string {
  return `live.replies.${processId}`;
}

/** [ditto: DittoHeaderDefinition DITTO_ACKREGATOR_ADDRESS] Where responses and acknowledgements of a signal go. */
export const REPLY_HEADER = 'ditto-ackgregator-address';

/**
 * The envelope a payload built in this process came from, under a symbol key (JSON and
 * `Object.entries` do not see it). An in-process bus hands the payload object itself to the
 * receivers, which then take the envelope instead of parsing the JSON again; a payload that
 * crossed a process boundary is a new object and is parsed. Payloads are never changed once
 * published, so the two stay equal.
 */
const DECODED = Symbol('envelope');
type WithEnvelope = JsonObject & { [DECODED]?: Envelope };

export function envelopeToBus(env: Envelope, policyId?: string): JsonObject {
  const json = envelopeToJson({ ...env, headers: {} });
  json['headers'] = { ...env.headers };
  if (policyId !== undefined) json['policyId'] = policyId;
  (json as WithEnvelope)[DECODED] = { ...env, path: normalizePath(env.path) };
  return json;
}

/** The envelope of a bus payload, internal headers kept; undefined for anything else. */
export function envelopeFromBus(payload: JsonObject): Envelope | undefined {
  const known = (payload as WithEnvelope)[DECODED];
  if (known !== undefined) return known;
  const raw = payload['headers'];
  if (!isJsonObject(raw)) return undefined;
  try {
    const env = parseEnvelope({ ...payload, headers: {} });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') headers[k] = v;
    return { ...env, headers: headers as DittoHeaders };
  } catch {
    return undefined;
  }
}
