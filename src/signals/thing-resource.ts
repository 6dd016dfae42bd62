import type { Pointer } from '../model/json-pointer.ts';

/**
 * What a path inside a thing addresses. Ditto names its thing commands, events and errors after
 * these resources (ModifyAttribute, FeaturePropertyDeleted, things:feature.notfound, ...), while
 * the Ditto Protocol addresses them by path alone; one classification serves both.
 */
export type ThingResource =
  | { readonly kind: 'thing' }
  | { readonly kind: 'policyId' }
  | { readonly kind: 'definition' }
  | { readonly kind: 'attributes' }
  | { readonly kind: 'attribute'; readonly pointer: Pointer }
  | { readonly kind: 'features' }
  | { readonly kind: 'feature'; readonly featureId: string }
  | { readonly kind: 'featureDefinition'; readonly featureId: string }
  | { readonly kind: 'featureProperties'; readonly featureId: string }
  | { readonly kind: 'featureProperty'; readonly featureId: string; readonly pointer: Pointer }
  | { readonly kind: 'featureDesiredProperties'; readonly featureId: string }
  | { readonly kind: 'featureDesiredProperty'; readonly featureId: string; readonly pointer: Pointer };

export type ThingResourceKind = ThingResource['kind'];

/** Classifies a path within a thing; undefined for paths Ditto has no resource for. */
export function classifyThingPath(path: Pointer): ThingResource | undefined {
  const [top, featureId, sub, ...rest] = path;
  if (top === undefined) return { kind: 'thing' };
  switch (top) {
    case 'policyId':
      return path.length === 1 ? { kind: 'policyId' } : undefined;
    case 'definition':
      return path.length === 1 ? { kind: 'definition' } : undefined;
    case 'attributes':
      return path.length === 1 ? { kind: 'attributes' } : { kind: 'attribute', pointer: path.slice(1) };
    case 'features':
      if (featureId === undefined) return { kind: 'features' };
      if (sub === undefined) return { kind: 'feature', featureId };
      if (sub === 'definition') return rest.length === 0 ? { kind: 'featureDefinition', featureId } : undefined;
      if (sub === 'properties') {
        return rest.length === 0 ? { kind: 'featureProperties', featureId } : { kind: 'featureProperty', featureId, pointer: rest };
      }
      if (sub === 'desiredProperties') {
        return rest.length === 0
          ? { kind: 'featureDesiredProperties', featureId }
          : { kind: 'featureDesiredProperty', featureId, pointer: rest };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The Ditto name of a resource as it appears in command and event type names. */
export const RESOURCE_NAMES: Readonly<Record<ThingResourceKind, string>> = {
  thing: 'Thing',
  policyId: 'PolicyId',
  definition: 'Definition',
  attributes: 'Attributes',
  attribute: 'Attribute',
  features: 'Features',
  feature: 'Feature',
  featureDefinition: 'FeatureDefinition',
  featureProperties: 'FeatureProperties',
  featureProperty: 'FeatureProperty',
  featureDesiredProperties: 'FeatureDesiredProperties',
  featureDesiredProperty: 'FeatureDesiredProperty',
};

/** Thing-level command names use "ThingDefinition" where the resource alone says "Definition". */
export function commandResourceName(kind: ThingResourceKind): string {
  return kind === 'definition' ? 'ThingDefinition' : RESOURCE_NAMES[kind];
}
