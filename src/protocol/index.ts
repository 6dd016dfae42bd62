// The public surface of the Ditto Protocol layer, named one by one.

export {
  TOPIC_PLACEHOLDER,
  TOPIC_GROUPS,
  TOPIC_CRITERIA,
  COMMAND_ACTIONS,
  EVENT_ACTIONS,
  SEARCH_ACTIONS,
  STREAMING_ACTIONS,
  parseTopic,
  formatTopic,
  topicEntityId,
  topicPartsOf,
  topicPrefixOf,
} from './topic.ts';
export type { Topic, TopicGroup, TopicCriterion, CommandAction, EventAction, SearchAction, StreamingAction } from './topic.ts';

export { headersFromJson, headersToJson, headersToText, CONTENT_TYPE_JSON, CONTENT_TYPE_MERGE_PATCH, CONTENT_TYPE_DITTO } from './headers.ts';

export { parseEnvelope, tryParseEnvelope, normalizePath, envelopeToJson, envelopeToText } from './envelope.ts';
export type { Envelope, EnvelopeFailure } from './envelope.ts';

export type {
  RetrieveThingsSignal,
  ThingCommandResponse,
  RetrieveThingsResponse,
  ThingEventLike,
  ProtocolThingEvent,
  PolicyCommandResponse,
  CheckPermissionsSignal,
  CheckPermissionsResponse,
  ErrorResponse,
  ProtocolSignal,
} from './protocol-signals.ts';

export {
  hasThingCommand,
  thingCommandFromEnvelope,
  thingCommandToEnvelope,
  retrieveThingsToEnvelope,
  thingResponseFromEnvelope,
  thingResponseFor,
  retrieveThingsResponseFor,
  thingResponseToEnvelope,
  retrieveThingsResponseToEnvelope,
} from './thing-commands.ts';

export { thingEventToEnvelope, thingEventToText, thingEventFromEnvelope } from './thing-events.ts';

export {
  hasPolicyCommand,
  policyPathOf,
  policyCommandFromEnvelope,
  policyCommandToEnvelope,
  checkPermissionsToEnvelope,
  policyResponseFromEnvelope,
  policyResponseFor,
  checkPermissionsResponseFor,
  policyResponseToEnvelope,
  checkPermissionsResponseToEnvelope,
} from './policy-commands.ts';

export { errorResponseFor, errorResponseToEnvelope, errorResponseFromEnvelope } from './error-responses.ts';
export type { ErrorContext } from './error-responses.ts';

export { envelopeToSignal, signalToEnvelope } from './adapter.ts';

export { subjectDeletionFromEnvelope, subjectDeletionToEnvelope } from './policy-announcements.ts';
export type { SubjectDeletionAnnouncement } from './policy-announcements.ts';
export { searchSignalFromEnvelope, searchSignalToEnvelope } from './search-protocol.ts';
export type { SearchProtocolSignal, SearchSubscribeSignal, SearchSubscriptionSignal } from './search-protocol.ts';

export {
  TWIN_PERSISTED,
  LIVE_RESPONSE,
  SEARCH_PERSISTED,
  BUILT_IN_LABELS,
  isValidAckLabel,
  checkAckLabel,
  parseRequestedAcks,
  aggregatedAckStatus,
  acksToJson,
  ackToEnvelope,
  acksToEnvelope,
  acksFromEnvelope,
} from './acks.ts';
export type { Acknowledgement } from './acks.ts';

export { CLAIM_SUBJECT, checkMessageSubject, messagePath, messagePointer, parseMessagePath } from './messages.ts';
export type { MessageDirection, MessageAddress } from './messages.ts';
