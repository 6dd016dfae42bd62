import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyThingPath } from './thing-resource.ts';
import { commandType, eventType } from './thing-signals.ts';

test('paths classify into Ditto resources', () => {
  assert.deepEqual(classifyThingPath([]), { kind: 'thing' });
  assert.deepEqual(classifyThingPath(['attributes', 'a', 'b']), { kind: 'attribute', pointer: ['a', 'b'] });
  assert.deepEqual(classifyThingPath(['features', 'f', 'properties', 'x']), { kind: 'featureProperty', featureId: 'f', pointer: ['x'] });
  assert.deepEqual(classifyThingPath(['features', 'f', 'desiredProperties']), { kind: 'featureDesiredProperties', featureId: 'f' });
  assert.equal(classifyThingPath(['features', 'f', 'other']), undefined);
  assert.equal(classifyThingPath(['policyId', 'x']), undefined);
  assert.equal(classifyThingPath(['unknown']), undefined);
});

test('type strings follow Ditto names', () => {
  assert.equal(commandType('modify', { kind: 'attribute', pointer: ['a'] }), 'things.commands:modifyAttribute');
  assert.equal(commandType('retrieve', { kind: 'definition' }), 'things.commands:retrieveThingDefinition');
  assert.equal(commandType('merge', { kind: 'features' }), 'things.commands:mergeThing');
  assert.equal(eventType('modified', { kind: 'featureProperty', featureId: 'f', pointer: ['x'] }), 'things.events:featurePropertyModified');
  assert.equal(eventType('created', { kind: 'thing' }), 'things.events:thingCreated');
  assert.equal(eventType('merged', { kind: 'attribute', pointer: ['a'] }), 'things.events:thingMerged');
  assert.equal(eventType('deleted', { kind: 'definition' }), 'things.events:thingDefinitionDeleted');
});
