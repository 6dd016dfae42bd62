// The live channel: live commands, live events, messages and acknowledgements over the bus.

export { LiveService, liveLabels, timeoutAck, errorJson } from './live-service.ts';
export type { LiveSources, LiveServiceOptions, LiveRequest, LiveOutcome, TwinAcked } from './live-service.ts';
export { LiveHub, timeoutOf } from './live-hub.ts';
export type { LiveStream, LiveDelivery, LiveSubscriber, AckDeclarer, LiveHubOptions } from './live-hub.ts';
export { ReplyRoutes } from './reply-routes.ts';
export { REPLY_HEADER, liveSubject, replySubject, envelopeToBus, envelopeFromBus } from './bus-codec.ts';
export { PendingRequests } from './pending-requests.ts';
export type { Collected } from './pending-requests.ts';
