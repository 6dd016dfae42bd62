import type { AuthContext } from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { errorResponseFromEnvelope, errorResponseToEnvelope } from './error-responses.ts';
import type { ProtocolSignal } from './protocol-signals.ts';
import {
  retrieveThingsResponseToEnvelope,
  retrieveThingsToEnvelope,
  thingCommandFromEnvelope,
  thingCommandToEnvelope,
  thingResponseFromEnvelope,
  thingResponseToEnvelope,
} from './thing-commands.ts';
import { thingEventFromEnvelope, thingEventToEnvelope } from './thing-events.ts';
import {
  checkPermissionsResponseToEnvelope,
  checkPermissionsToEnvelope,
  policyCommandFromEnvelope,
  policyCommandToEnvelope,
  policyResponseFromEnvelope,
  policyResponseToEnvelope,
} from './policy-commands.ts';

/**
 * The signal a parsed envelope carries, for the topics this layer adapts: thing and policy
 * commands and their responses (a response is a command topic with a `status`, as Ditto tells
 * them apart), thing events, and errors of any group. Other topics (messages, acks, search,
 * streaming, announcements, policy events) give undefined: their envelopes are valid, and their
 * signals come with the features that use them. `auth` is the sender's, which only the
 * transport knows.
 */
export function envelopeToSignal(env: Envelope, auth: AuthContext): ProtocolSignal | undefined {
  const topic = env.topic;
  if (topic.criterion === 'errors') return errorResponseFromEnvelope(env);
  if (topic.criterion === 'commands') {
    if (topic.group === 'things') return env.status === undefined ? thingCommandFromEnvelope(env, auth) : thingResponseFromEnvelope(env);
    if (topic.group === 'policies') return env.status === undefined ? policyCommandFromEnvelope(env, auth) : policyResponseFromEnvelope(env);
    return undefined;
  }
  if (topic.criterion === 'events' && topic.group === 'things') return thingEventFromEnvelope(env);
  return undefined;
}

/** The envelope of a signal, the inverse of envelopeToSignal. */
export function signalToEnvelope(signal: ProtocolSignal): Envelope {
  switch (signal.kind) {
    case 'thing.command':
      return thingCommandToEnvelope(signal);
    case 'things.retrieve':
      return retrieveThingsToEnvelope(signal);
    case 'thing.response':
      return thingResponseToEnvelope(signal);
    case 'things.retrieve.response':
      return retrieveThingsResponseToEnvelope(signal);
    case 'thing.event':
      return thingEventToEnvelope(signal, signal.channel);
    case 'policy.command':
      return policyCommandToEnvelope(signal);
    case 'policy.response':
      return policyResponseToEnvelope(signal);
    case 'policies.checkPermissions':
      return checkPermissionsToEnvelope(signal);
    case 'policies.checkPermissions.response':
      return checkPermissionsResponseToEnvelope(signal);
    case 'error':
      return errorResponseToEnvelope(signal);
  }
}
