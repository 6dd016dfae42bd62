import { DittoError, type ErrorCode } from '../../model/errors/index.ts';
import { formatPointer } from '../../model/json-pointer.ts';
import type { ThingResource, ThingResourceKind } from '../../signals/index.ts';

const NOT_FOUND: Readonly<Record<ThingResourceKind, ErrorCode>> = {
  thing: 'things:thing.notfound',
  policyId: 'things:policyId.notfound',
  definition: 'things:definition.notfound',
  attributes: 'things:attributes.notfound',
  attribute: 'things:attribute.notfound',
  features: 'things:features.notfound',
  feature: 'things:feature.notfound',
  featureDefinition: 'things:feature.definition.notfound',
  featureProperties: 'things:feature.properties.notfound',
  featureProperty: 'things:feature.property.notfound',
  featureDesiredProperties: 'things:feature.desiredProperties.notfound',
  featureDesiredProperty: 'things:feature.desiredProperty.notfound',
};

const NOT_MODIFIABLE: Readonly<Record<ThingResourceKind, ErrorCode>> = {
  thing: 'things:thing.notmodifiable',
  policyId: 'things:policyId.notmodifiable',
  definition: 'things:definition.notmodifiable',
  attributes: 'things:attributes.notmodifiable',
  attribute: 'things:attribute.notmodifiable',
  features: 'things:features.notmodifiable',
  feature: 'things:feature.notmodifiable',
  featureDefinition: 'things:feature.definition.notmodifiable',
  featureProperties: 'things:feature.properties.notmodifiable',
  featureProperty: 'things:feature.property.notmodifiable',
  featureDesiredProperties: 'things:feature.desiredProperties.notmodifiable',
  featureDesiredProperty: 'things:feature.desiredProperty.notmodifiable',
};

function params(thingId: string, r: ThingResource): Record<string, string> {
  const p: Record<string, string> = { thingId };
  if ('featureId' in r) p['featureId'] = r.featureId;
  if ('pointer' in r) p['key'] = formatPointer(r.pointer);
  return p;
}

/** 404: the resource is absent, or the caller may not know it exists. */
export function notFound(thingId: string, r: ThingResource): DittoError {
  return new DittoError(NOT_FOUND[r.kind], params(thingId, r));
}

/** 403: the caller may see the resource but not change it. */
export function notModifiable(thingId: string, r: ThingResource, deleting = false): DittoError {
  if (deleting && r.kind === 'thing') return new DittoError('things:thing.notdeletable', { thingId });
  return new DittoError(NOT_MODIFIABLE[r.kind], params(thingId, r));
}
