import { RoutingKeys, type FanoutEvent, type RoomCommand } from '@chat/contracts';
import type { Logger } from '@chat/logging';
import { QUIET, type RoomOutcome } from '../room-outcome';

export interface EventPublisher {
  /** Resolves once the broker confirmed the event; rejects when it could not (the batch is tried again). */
  publishConfirmed(routingKey: string, payload: object, headers?: Record<string, string>): Promise<void>;
}

/** What happens to each command's delivery: ack it, or dead-letter it (its room does not exist). */
export type CommandOutcome = 'ack' | 'dead';

/**
 * Handles one batch of a worker's room commands: applies them (ApplyRoomCommandsUseCase) and publishes the
 * event of each for fanout, confirmed before the batch is acked, since a crash between the two would
 * otherwise lose the delivery. A command applied quietly (QUIET) publishes nothing; one with no outcome (its
 * room does not exist) is dead-lettered.
 */
export class PersistBatchUseCase {
  constructor(
    private readonly apply: { execute(commands: RoomCommand[]): Promise<RoomOutcome[]> },
    private readonly publisher: EventPublisher,
    /** The routing key of an event of the room (or group) `id`. */
    private readonly route: (type: string, id: string) => string,
    private readonly log: Logger,
  ) {}

  async execute(commands: RoomCommand[]): Promise<CommandOutcome[]> {
    const t0 = performance.now();
    const outcomes = await this.apply.execute(commands);
    const t1 = performance.now();
    await Promise.all(
      outcomes
        .filter((ev): ev is FanoutEvent => ev !== null && ev !== undefined && ev !== QUIET)
        .map((ev) => this.publisher.publishConfirmed(this.route(ev.type, roomOf(ev)), ev, { correlationId: ev.correlationId })),
    );
    this.log.debug({ size: commands.length, storeMs: Math.round(t1 - t0), publishMs: Math.round(performance.now() - t1) }, 'batch applied');
    outcomes.forEach((ev, i) => {
      if (!ev)
        this.log.error({ correlationId: commands[i].correlationId, command: commands[i].type }, 'room does not exist; dead-lettered');
      else if (ev === QUIET) this.log.debug({ correlationId: commands[i].correlationId, command: commands[i].type }, 'applied');
      else if (ev.type === RoutingKeys.messageRefused)
        this.log.debug({ correlationId: ev.correlationId, messageId: ev.messageId, code: ev.error.code }, 'send refused');
      else if (ev.type === RoutingKeys.messagePersisted)
        this.log.debug({ correlationId: ev.correlationId, messageId: ev.message.id, seq: ev.message.seq, replay: ev.replay }, 'stored');
      else if (ev.type === RoutingKeys.groupChanged)
        this.log.debug({ correlationId: ev.correlationId, groupId: ev.groupId, op: ev.op, outcome: ev.outcome }, 'group changed');
      else if (ev.type === RoutingKeys.messageRejected)
        this.log.debug({ correlationId: ev.correlationId, messageId: ev.messageId, reason: ev.reason, replay: ev.replay }, 'rejected');
      else if (ev.type === RoutingKeys.messageReacted)
        this.log.debug({ correlationId: ev.correlationId, messageId: ev.messageId, on: ev.on, outcome: ev.outcome }, 'reacted');
      else this.log.debug({ correlationId: ev.correlationId, messageId: ev.messageId, change: ev.change, outcome: ev.outcome }, 'changed');
    });
    return outcomes.map((ev) => (ev ? 'ack' : 'dead'));
  }
}

function roomOf(ev: FanoutEvent): string {
  return ev.type === RoutingKeys.messagePersisted ? ev.message.roomId : ev.type === RoutingKeys.groupChanged ? ev.groupId : ev.roomId;
}
