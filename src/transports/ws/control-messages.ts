/**
 * [ditto: httpapi-protocol-bindings-websocket, ProtocolMessageType, ProtocolMessageExtractor] The
 * plain-text messages of the WebSocket binding. A frame is one when it starts with one of the
 * identifiers (a prefix match, as Ditto does); parameters follow a `?` like a URL query.
 */

export const STREAMING_TYPES = ['events', 'messages', 'liveCommands', 'liveEvents', 'policyAnnouncements'] as const;
export type StreamingType = (typeof STREAMING_TYPES)[number];

export type ControlMessage =
  | { readonly kind: 'start'; readonly type: StreamingType; readonly params: ReadonlyMap<string, string> }
  | { readonly kind: 'stop'; readonly type: StreamingType }
  | { readonly kind: 'jwt'; readonly token: string };

/** Identifiers in Ditto's order; the first that prefixes the frame wins. */
const IDENTIFIERS: ReadonlyArray<readonly [string, 'start' | 'stop' | 'jwt', StreamingType | undefined]> = [
  ['START-SEND-EVENTS', 'start', 'events'],
  ['STOP-SEND-EVENTS', 'stop', 'events'],
  ['START-SEND-MESSAGES', 'start', 'messages'],
  ['STOP-SEND-MESSAGES', 'stop', 'messages'],
  ['START-SEND-LIVE-COMMANDS', 'start', 'liveCommands'],
  ['STOP-SEND-LIVE-COMMANDS', 'stop', 'liveCommands'],
  ['START-SEND-LIVE-EVENTS', 'start', 'liveEvents'],
  ['STOP-SEND-LIVE-EVENTS', 'stop', 'liveEvents'],
  ['JWT-TOKEN', 'jwt', undefined],
  ['START-SEND-POLICY-ANNOUNCEMENTS', 'start', 'policyAnnouncements'],
  ['STOP-SEND-POLICY-ANNOUNCEMENTS', 'stop', 'policyAnnouncements'],
];

const ACK_OF: Readonly<Record<StreamingType, readonly [string, string]>> = {
  events: ['START-SEND-EVENTS', 'STOP-SEND-EVENTS'],
  messages: ['START-SEND-MESSAGES', 'STOP-SEND-MESSAGES'],
  liveCommands: ['START-SEND-LIVE-COMMANDS', 'STOP-SEND-LIVE-COMMANDS'],
  liveEvents: ['START-SEND-LIVE-EVENTS', 'STOP-SEND-LIVE-EVENTS'],
  policyAnnouncements: ['START-SEND-POLICY-ANNOUNCEMENTS', 'STOP-SEND-POLICY-ANNOUNCEMENTS'],
};

/** [ditto: WebSocketRoute PROTOCOL_CMD_ACK_SUFFIX] `START-SEND-EVENTS:ACK` and so on, without the parameters. */
export function ackFor(type: StreamingType, start: boolean): string {
  return `${ACK_OF[type][start ? 0 : 1]}:ACK`;
}

/** The control message a text frame is, or undefined when it is a Ditto Protocol message. */
export function parseControlMessage(text: string): ControlMessage | undefined {
  // Protocol messages are JSON objects: one look at the first character spares the prefix tests.
  const first = text.charCodeAt(0);
  if (first !== 0x53 /* S */ && first !== 0x4a /* J */) return undefined;
  for (const [identifier, kind, type] of IDENTIFIERS) {
    if (!text.startsWith(identifier)) continue;
    if (kind === 'jwt') return { kind, token: parameters(text).get('jwtToken') ?? '' };
    if (type === undefined) return undefined;
    return kind === 'start' ? { kind, type, params: parameters(text) } : { kind, type };
  }
  return undefined;
}

/**
 * `?a=1&b=x%2Cy` → {a: '1', b: 'x,y'}, decoded like a form (`+` is a space) as Ditto's
 * URLDecoder does. A parameter without `=` has an empty value, a repeated one keeps its last
 * value, and a broken %-escape is kept as written rather than failing the whole message.
 */
export function parameters(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = text.indexOf('?');
  if (q < 0) return out;
  for (const pair of text.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    out.set(name, eq < 0 ? '' : decode(pair.slice(eq + 1)));
  }
  return out;
}

function decode(s: string): string {
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
