import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ackFor, parameters, parseControlMessage } from './control-messages.ts';

void test('[ditto: ProtocolMessageType] every identifier, by prefix, with its ACK', () => {
  const cases: Array<[string, string, string]> = [
    ['START-SEND-EVENTS', 'start', 'START-SEND-EVENTS:ACK'],
    ['STOP-SEND-EVENTS', 'stop', 'STOP-SEND-EVENTS:ACK'],
    ['START-SEND-MESSAGES', 'start', 'START-SEND-MESSAGES:ACK'],
    ['STOP-SEND-MESSAGES', 'stop', 'STOP-SEND-MESSAGES:ACK'],
    ['START-SEND-LIVE-COMMANDS', 'start', 'START-SEND-LIVE-COMMANDS:ACK'],
    ['STOP-SEND-LIVE-COMMANDS', 'stop', 'STOP-SEND-LIVE-COMMANDS:ACK'],
    ['START-SEND-LIVE-EVENTS', 'start', 'START-SEND-LIVE-EVENTS:ACK'],
    ['STOP-SEND-LIVE-EVENTS', 'stop', 'STOP-SEND-LIVE-EVENTS:ACK'],
    ['START-SEND-POLICY-ANNOUNCEMENTS', 'start', 'START-SEND-POLICY-ANNOUNCEMENTS:ACK'],
    ['STOP-SEND-POLICY-ANNOUNCEMENTS', 'stop', 'STOP-SEND-POLICY-ANNOUNCEMENTS:ACK'],
  ];
  for (const [text, kind, ack] of cases) {
    const m = parseControlMessage(`${text}?namespaces=a`);
    assert.ok(m !== undefined && m.kind === kind, text);
    assert.ok(m.kind !== 'jwt');
    assert.equal(ackFor(m.type, m.kind === 'start'), ack);
  }
  assert.deepEqual(parseControlMessage('JWT-TOKEN?jwtToken=abc.def.ghi'), { kind: 'jwt', token: 'abc.def.ghi' });
  assert.equal(parseControlMessage('{"topic":"x"}'), undefined);
  assert.equal(parseControlMessage('start-send-events'), undefined);
  assert.equal(parseControlMessage(''), undefined);
});

void test('[ditto: ProtocolMessageExtractor] parameters are form-decoded; odd input never throws', () => {
  const m = parseControlMessage(`START-SEND-EVENTS?namespaces=a,b&filter=${encodeURIComponent('eq(attributes/x,"a&b")')}&extraFields=attributes&correlation-id=c+1`);
  assert.ok(m?.kind === 'start');
  assert.deepEqual(Object.fromEntries(m.params), { namespaces: 'a,b', filter: 'eq(attributes/x,"a&b")', extraFields: 'attributes', 'correlation-id': 'c 1' });
  assert.deepEqual(Object.fromEntries(parameters('X?a&b=1&b=2&c=%E0%A4%A&&=v')), { a: '', b: '2', c: '%E0%A4%A', '': 'v' });
  assert.deepEqual(Object.fromEntries(parameters('START-SEND-EVENTS')), {});
});
