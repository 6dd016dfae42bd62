import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DefaultFieldsOptions, DefaultMessagesOptions, DittoNodeClient, NodeHttpBasicAuth, Thing, type DittoHttpClient, type DittoWebSocketLiveClient, type ProtocolResponseValue,
} from '@eclipse-ditto/ditto-javascript-client-node';
import { startTestServer, type TestServer } from '../support/doppel-server.ts';

// Eclipse Ditto's own JavaScript client against Doppel's live channel: the device side is the
// client's WebSocket live channel (messages and live command subscriptions), the caller side its
// HTTP client (messages, claims, and thing requests with channel=live).

let server: TestServer;
let http: DittoHttpClient;
let device: DittoWebSocketLiveClient;

/** The client's raw socket: it has no API to answer a message or live command, so the device answers on it. */
function socketOf(client: DittoWebSocketLiveClient): { send(text: string): void; removeAllListeners(e: string): void } {
  const inner = client as unknown as { responseHandler: { resilienceHandler: { webSocket: { webSocket: { send(text: string): void; removeAllListeners(e: string): void } } } } };
  return inner.responseHandler.resilienceHandler.webSocket.webSocket;
}

/** Answers a received message or live command on the device's socket. */
function respond(m: ProtocolResponseValue, status: number, value: unknown, headers: Record<string, unknown> = {}): void {
  socketOf(device).send(JSON.stringify({ topic: m.topic, path: m.path, status, value, headers: { ...headers, 'correlation-id': m.headers?.['correlation-id'] } }));
}

before(async () => {
  server = await startTestServer();
  const domain = server.url.replace('http://', '');
  const auth = NodeHttpBasicAuth.newInstance('ditto', 'ditto');
  http = DittoNodeClient.newHttpClient().withoutTls().withDomain(domain).withAuthProvider(auth).build();
  device = DittoNodeClient.newWebSocketClient().withoutTls().withDomain(domain).withAuthProvider(auth).withBuffer(100).liveChannel().build();
  await http.getThingsHandle().putThing(new Thing('org.example.client:device', undefined, { model: 'lamp' }));
});
after(async () => {
  // [client bug] see ditto-client.test.ts: the close handler would start a disabled reconnect.
  socketOf(device).removeAllListeners('close');
  device.close();
  await server.close();
});

describe('messages: HTTP client to the WebSocket live client', () => {
  test('messageToThing reaches the device subscription; the device answer is the response', async () => {
    const messages = device.getMessagesHandle();
    await messages.requestMessages();
    const got: ProtocolResponseValue[] = [];
    messages.subscribeToThing('org.example.client:device', (m) => {
      got.push(m);
      respond(m, 200, `hello ${(m.value as { name: string }).name}`, { 'content-type': 'text/plain' });
    }, 'greet', 'inbox');
    // The client sends every payload JSON-encoded, whatever its declared type: JSON it is.
    const payload = { name: 'world' } as unknown as string;
    const response = await http.getMessagesHandle().messageToThing('org.example.client:device', 'greet', payload, 'application/json', DefaultMessagesOptions.getInstance().withTimeout(5));
    assert.equal(response.status, 200);
    assert.equal(response.body, 'hello world');
    assert.equal(got.length, 1);
    assert.equal(got[0]?.path, '/inbox/messages/greet');
  });

  test('claim and feature messages, JSON payloads', async () => {
    const messages = device.getMessagesHandle();
    await messages.requestMessages();
    messages.subscribeToThing('org.example.client:device', (m) => respond(m, 200, { claimed: true }, { 'content-type': 'application/json' }), 'claim', 'inbox');
    messages.subscribeToFeature('org.example.client:device', 'lamp', (m) => respond(m, 201, { echo: m.value }, { 'content-type': 'application/json' }), 'switch', 'inbox');
    const claim = await http.getMessagesHandle().claim('org.example.client:device', { owner: 'me' }, DefaultMessagesOptions.getInstance().withTimeout(5));
    assert.equal(claim.status, 200);
    assert.deepEqual(claim.body, { claimed: true });
    const feature = await http.getMessagesHandle().messageToFeature('org.example.client:device', 'lamp', 'switch', { on: true } as unknown as string, 'application/json', DefaultMessagesOptions.getInstance().withTimeout(5));
    assert.equal(feature.status, 201);
    assert.deepEqual(feature.body, { echo: { on: true } });
  });
});

describe('live commands: HTTP client with channel=live to the WebSocket live client', () => {
  test('the device answers a live retrieve; the twin is not asked', async () => {
    const commands = device.getCommandsHandle();
    await commands.requestCommands();
    const seen: ProtocolResponseValue[] = [];
    commands.subscribeToAttributes('org.example.client:device', (c) => {
      seen.push(c);
      respond(c, 200, { model: 'lamp', reported: 'live' });
    }, 'retrieve', true);
    const attributes = await http.getThingsHandle().getAttributes('org.example.client:device', DefaultFieldsOptions.getInstance().addHeader('channel', 'live') as DefaultFieldsOptions);
    assert.deepEqual(attributes, { model: 'lamp', reported: 'live' });
    assert.equal(seen[0]?.action, 'retrieve');
    assert.deepEqual(await http.getThingsHandle().getAttributes('org.example.client:device'), { model: 'lamp' });
  });
});
