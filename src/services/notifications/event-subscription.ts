import { DittoError } from '../../model/errors/index.ts';
import { parseFieldSelector, type FieldSelector } from '../../model/field-selector.ts';
import { parseThingId } from '../../model/ids.ts';
import { parseRqlFilter, type RqlFilter } from '../../rql/index.ts';

/** What a subscriber asked for: the parameters of START-SEND-EVENTS or of an SSE request. */
export interface SubscriptionRequest {
  /** Comma-separated namespaces; none (or empty) means every namespace. */
  readonly namespaces?: string | undefined;
  /** Comma-separated thing IDs (SSE `ids`). */
  readonly thingIds?: string | undefined;
  /** RQL filter text. */
  readonly filter?: string | undefined;
  /** Field selector of the enrichment. */
  readonly extraFields?: string | undefined;
}

/**
 * [ditto: basic-changenotifications, basic-placeholders] Which placeholders a filter may use:
 * WebSocket sessions know the entity, thing, feature and header placeholders too; SSE only
 * topic, resource and time.
 */
export type FilterScope = 'websocket' | 'sse';

const PREFIXES: Readonly<Record<FilterScope, readonly string[]>> = {
  websocket: ['topic', 'resource', 'time', 'entity', 'thing', 'feature', 'header'],
  sse: ['topic', 'resource', 'time'],
};

/** A subscription checked and compiled once, then applied to every event. */
export interface EventSubscription {
  readonly namespaces: ReadonlySet<string> | undefined;
  readonly thingIds: ReadonlySet<string> | undefined;
  readonly filter: RqlFilter | undefined;
  readonly extraFields: FieldSelector | undefined;
  /**
   * Equal for subscriptions that compute the same per event (same filter and enrichment): what
   * they see is computed once per event and subject set, however many subscribers share it.
   */
  readonly key: string;
}

// [ditto: ThingFieldSelector.SELECTABLE_FIELDS] the roots streaming selectors may name.
const SELECTABLE_ROOTS: ReadonlySet<string> = new Set([
  'thingId', 'policyId', 'definition', '_namespace', '_revision', '_created', '_modified', '_metadata', '_policy', '_context',
  'features', 'attributes',
]);
const LEAF_ONLY_ROOTS: ReadonlySet<string> = new Set(['thingId', 'policyId', 'definition', '_namespace', '_revision', '_created', '_modified', '_policy']);

/**
 * A `fields` or `extraFields` selector of a streaming request, parsed and restricted to the
 * thing's fields: anything else is 400 `things:field.selection.invalid`. Selectors with
 * placeholders are not checked, as in Ditto, since what they select is only known per event.
 */
export function parseThingFieldSelector(text: string): FieldSelector {
  const selector = parseFieldSelector(text);
  if (text.includes('{{')) return selector;
  for (const p of selector.pointers) {
    const root = p[0] ?? '';
    if (!SELECTABLE_ROOTS.has(root) || (p.length > 1 && LEAF_ONLY_ROOTS.has(root))) {
      throw new DittoError('things:field.selection.invalid', { fields: text }, {
        description: `Only these fields can be selected: ${[...SELECTABLE_ROOTS].join(', ')} (features, attributes, _metadata and _context with sub-paths).`,
      });
    }
  }
  return selector;
}

function list(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return text.split(',').filter((s) => s !== '');
}

/**
 * Checks and compiles a subscription. Errors are Ditto's: `rql.expression.invalid` for the
 * filter, `things:field.selection.invalid` or `json.fieldselector.invalid` for extraFields,
 * `things:id.invalid` for thing IDs.
 */
export function compileSubscription(req: SubscriptionRequest, scope: FilterScope): EventSubscription {
  const namespaces = list(req.namespaces);
  const thingIds = list(req.thingIds).map((id) => parseThingId(id).id);
  const filterText = req.filter === undefined || req.filter === '' ? undefined : req.filter;
  const filter = filterText === undefined ? undefined : parseRqlFilter(filterText, { placeholderPrefixes: PREFIXES[scope] });
  const extraText = req.extraFields === undefined || req.extraFields === '' ? undefined : req.extraFields;
  const extraFields = extraText === undefined ? undefined : parseThingFieldSelector(extraText);
  return {
    namespaces: namespaces.length === 0 ? undefined : new Set(namespaces),
    thingIds: thingIds.length === 0 ? undefined : new Set(thingIds),
    filter,
    extraFields,
    key: `${scope}\u0000${filterText ?? ''}\u0000${extraText ?? ''}`,
  };
}
