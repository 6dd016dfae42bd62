// Change notifications: subscriptions, the fan-out hub and what a subscriber receives.

export { NotificationHub } from './notification-hub.ts';
export type { EventSubscriber, NotificationSources, NotificationHubOptions, NotificationStats } from './notification-hub.ts';
export type { EventNotification } from './event-context.ts';
export { resolveFieldSelector } from './event-context.ts';
export { compileSubscription, parseThingFieldSelector } from './event-subscription.ts';
export type { EventSubscription, FilterScope, SubscriptionRequest } from './event-subscription.ts';
export { changedThing, mergeObjects } from './event-thing.ts';
export { AnnouncementHub } from './announcement-hub.ts';
export type { AnnouncementSubscriber } from './announcement-hub.ts';
