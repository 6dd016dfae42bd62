import { DittoError } from '../model/errors/index.ts';
import type { JsonObject, JsonValue } from '../model/json.ts';
import type { Envelope } from '../protocol/index.ts';
import type {
  CheckPermissionsCommand, PolicyActionCommand, PolicyCommand, PolicyCommandResult, RetrieveThingsCommand, SearchThingsCommand, SearchThingsPage,
  ThingCommand, ThingCommandResult,
} from '../signals/index.ts';
import { checkPermissions } from './policies/check-permissions.ts';
import type { PoliciesService } from './policies/policies-service.ts';
import type { LiveOutcome, LiveRequest, LiveService, TwinAcked } from './live/index.ts';
import type { SearchService, SearchStream } from './search/search-service.ts';
import type { ThingsService } from './things/things-service.ts';

/**
 * The one entry point every transport dispatches signals to (../shared/DESIGN.md "One path for
 * every signal"). Behaviour implemented behind it works the same over HTTP, WebSocket and
 * connections.
 */
export class SignalRouter {
  private readonly things: ThingsService;
  private readonly policies: PoliciesService;
  private readonly search: SearchService | undefined;
  private readonly live: LiveService | undefined;

  constructor(things: ThingsService, policies: PoliciesService, search?: SearchService, live?: LiveService) {
    this.things = things;
    this.policies = policies;
    this.search = search;
    this.live = live;
  }

  private liveService(): LiveService {
    if (this.live === undefined) throw new DittoError('header.notsupported', { header: 'channel', value: 'live' });
    return this.live;
  }

  /** A live command or message, routed to the devices' subscribers; resolves with their answers. */
  dispatchLive(req: LiveRequest): Promise<LiveOutcome> {
    return this.liveService().send(req);
  }

  /** A live event from a device, to the live event subscribers. */
  dispatchLiveEvent(env: Envelope, auth: { readonly subjects: readonly string[] }): Promise<void> {
    return this.liveService().publishEvent(env, auth);
  }

  /** A response or acknowledgement from a receiver, to where the signal it answers came from. */
  replyLive(replyTo: string, env: Envelope): void {
    this.liveService().reply(replyTo, env);
  }

  /** A twin modification that waits for acknowledgements besides its own persistence; `signal` ends the wait when the requester is gone. */
  dispatchThingCommandAcked(cmd: ThingCommand, labels: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<TwinAcked> {
    return this.liveService().twinWithAcks(cmd, labels, timeoutMs, (c) => this.things.handle(c), signal);
  }

  /**
   * [ditto: basic-conditional-requests smart channel] Whether a retrieve's `live-channel-condition`
   * holds on the twin the caller may read.
   */
  evaluateLiveChannelCondition(cmd: ThingCommand): Promise<boolean> {
    return this.things.liveChannelCondition(cmd);
  }

  /** QueryThings: one page of the readable things that match. */
  dispatchSearchThings(cmd: SearchThingsCommand): Promise<SearchThingsPage> {
    if (this.search === undefined) return Promise.reject(new Error('search is not configured'));
    return this.search.query(cmd);
  }

  /**
   * A search read page by page as the consumer asks (search protocol, SSE); `resumeAfter` is a
   * thing ID to continue after. Validation errors reject here, before any page.
   */
  dispatchSearchStream(cmd: SearchThingsCommand, resumeAfter?: string): Promise<SearchStream> {
    if (this.search === undefined) return Promise.reject(new Error('search is not configured'));
    return this.search.stream(cmd, resumeAfter);
  }

  /** CountThings: how many readable things match. */
  dispatchCountThings(cmd: SearchThingsCommand): Promise<number> {
    if (this.search === undefined) return Promise.reject(new Error('search is not configured'));
    return this.search.count(cmd);
  }

  dispatchThingCommand(cmd: ThingCommand): Promise<ThingCommandResult> {
    return this.things.handle(cmd);
  }

  dispatchRetrieveThings(cmd: RetrieveThingsCommand): Promise<JsonValue[]> {
    return this.things.retrieveMany(cmd);
  }

  dispatchPolicyCommand(cmd: PolicyCommand): Promise<PolicyCommandResult> {
    return this.policies.handleCommand(cmd);
  }

  /** Policy actions (token integration), HTTP only in Ditto. */
  dispatchPolicyAction(cmd: PolicyActionCommand): Promise<PolicyCommandResult> {
    return this.policies.handleAction(cmd);
  }

  dispatchCheckPermissions(cmd: CheckPermissionsCommand): Promise<JsonObject> {
    return checkPermissions(cmd, {
      policyIdOfThing: async (thingId) => {
        const state = await this.things.load(thingId);
        const policyId = state === undefined || state.deleted ? undefined : state.data['policyId'];
        return typeof policyId === 'string' ? policyId : undefined;
      },
      handle: (policyId, namespace) => this.policies.handle(policyId, namespace),
    });
  }
}
