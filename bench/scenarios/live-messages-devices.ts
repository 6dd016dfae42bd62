// The device side of the live-messages benchmark, as its own process (`node --import tsx
// bench/scenarios/live-messages-devices.ts devices <spec JSON>`): WebSocket sessions that
// subscribe to the messages of their own namespace and answer each one at once with status 200
// and the payload echoed. Prints READY when every session is subscribed and, after REPORT, one
// JSON line with the messages answered.

import { createInterface } from 'node:readline';
import WebSocket from 'ws';

export interface DevicesSpec {
  readonly origin: string;
  /** One session per namespace: `START-SEND-MESSAGES?namespaces=<namespace>`. */
  readonly namespaces: readonly string[];
}

export interface DevicesReport {
  readonly answered: number;
  readonly closed: number;
}

const AUTH = `Basic ${Buffer.from('ditto:ditto').toString('base64')}`;

function session(origin: string, namespace: string, onAnswer: () => void, onClose: () => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws/2`, { headers: { authorization: AUTH }, perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('close', onClose);
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (text === 'START-SEND-MESSAGES:ACK') {
        resolve(ws);
        return;
      }
      if (text.charCodeAt(0) !== 0x7b) return;
      const m = JSON.parse(text) as { topic: string; path: string; value?: unknown; status?: number; headers: Record<string, unknown> };
      if (m.status !== undefined || !m.topic.includes('/things/live/messages/')) return;
      ws.send(JSON.stringify({
        topic: m.topic,
        path: m.path,
        status: 200,
        headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'application/json' },
        value: m.value ?? null,
      }));
      onAnswer();
    });
    ws.once('open', () => ws.send(`START-SEND-MESSAGES?namespaces=${encodeURIComponent(namespace)}`));
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[3] ?? '{}') as DevicesSpec;
  let answered = 0;
  let closed = 0;
  const sockets = await Promise.all(spec.namespaces.map((ns) => session(spec.origin, ns, () => answered++, () => closed++)));
  process.stdout.write('READY\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'REPORT') continue;
    process.stdout.write(`${JSON.stringify({ answered, closed } satisfies DevicesReport)}\n`);
    for (const s of sockets) s.terminate();
    break;
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
