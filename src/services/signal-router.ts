import type { JsonValue } from '../model/json.ts';
import type { RetrieveThingsCommand, ThingCommand, ThingCommandResult } from '../signals/index.ts';
import type { ThingsService } from './things/things-service.ts';

/**
 * The one entry point every transport dispatches signals to (../shared/DESIGN.md "One path for
 * every signal"). Behaviour implemented behind it works the same over HTTP, WebSocket and
 * connections.
 */
export class SignalRouter {
  private readonly things: ThingsService;

  constructor(things: ThingsService) {
    this.things = things;
  }

  dispatchThingCommand(cmd: ThingCommand): Promise<ThingCommandResult> {
    return this.things.handle(cmd);
  }

  dispatchRetrieveThings(cmd: RetrieveThingsCommand): Promise<JsonValue[]> {
    return this.things.retrieveMany(cmd);
  }
}
