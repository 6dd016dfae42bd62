export type { AuthContext, DittoHeaders, JwtClaims } from './headers.ts';
export { classifyThingPath, commandResourceName, RESOURCE_NAMES } from './thing-resource.ts';
export type { ThingResource, ThingResourceKind } from './thing-resource.ts';
export { commandType, eventToJson, eventType, thingCommand } from './thing-signals.ts';
export type {
  Channel,
  RetrieveThingsCommand,
  ThingAction,
  ThingCommand,
  ThingCommandResult,
  ThingEvent,
  ThingEventAction,
} from './thing-signals.ts';
export { classifyPolicyPath, policyPermissionPath, POLICY_RESOURCE_NAMES } from './policy-resource.ts';
export type { PolicyResource, PolicyResourceKind } from './policy-resource.ts';
export { formatPolicyPath, isPolicyActionName, POLICY_ACTION_NAMES, policyCommand, policyCommandType, policyEventToJson, policyEventType } from './policy-signals.ts';
export type {
  CheckPermissionsCommand,
  PolicyAction,
  PolicyActionCommand,
  PolicyActionName,
  PolicyCommand,
  PolicyCommandResult,
  PolicyEvent,
  PolicyEventAction,
  PolicyView,
} from './policy-signals.ts';
export type { SearchThingsCommand, SearchThingsPage } from './search-signals.ts';
