import { roomOfCommand, RoutingKeys, type BlockCommand, type RoomCommand, type SendMessageCommand } from '@chat/contracts';
import type { ApplyGroupCommandUseCase } from '../apply-group-command/apply-group-command.usecase';
import type { ApplyPinUseCase } from '../apply-pin/apply-pin.usecase';
import type { ApplyReportUseCase } from '../apply-report/apply-report.usecase';
import type { ChangeMessageUseCase } from '../change-message/change-message.usecase';
import type { ModerateMessageUseCase } from '../moderate-message/moderate-message.usecase';
import type { ReactMessageUseCase } from '../react-message/react-message.usecase';
import { QUIET, type RoomOutcome } from '../room-outcome';
import type { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';

/** What applies each kind of command other than a send. */
export interface RoomAppliers {
  change: Pick<ChangeMessageUseCase, 'execute'>;
  group: Pick<ApplyGroupCommandUseCase, 'execute'>;
  react: Pick<ReactMessageUseCase, 'execute'>;
  pin: Pick<ApplyPinUseCase, 'execute'>;
  /** The room's owner keeps the pair's blocks in memory (PairBlocks). */
  block: { apply(cmd: BlockCommand): void };
  report: Pick<ApplyReportUseCase, 'execute'>;
  moderate: Pick<ModerateMessageUseCase, 'execute'>;
}

/**
 * Applies a batch of room commands in each room's order: consecutive sends are stored together; any other
 * command (an edit, a delete, a reaction, a pin, a group command, a block, a report) waits for the sends
 * before it and runs alone. Rooms proceed in parallel. Returns one event per
 * command in input order (null: dead-letter it).
 *
 * The sends that open each room's part of the batch (all of it, in the usual batch of sends only) are
 * stored in one go across rooms: one insert for the batch rather than one per room. With many
 * conversations a batch rarely holds two messages of one room, so storing room by room had cost an insert
 * per message (measured: 7,198 inserts for 7,198 messages in a bench run at 300 msg/s).
 */
export class ApplyRoomCommandsUseCase {
  constructor(
    private readonly store: StoreMessagesUseCase,
    private readonly appliers: RoomAppliers,
  ) {}

  async execute(commands: RoomCommand[]): Promise<RoomOutcome[]> {
    const out: RoomOutcome[] = new Array<RoomOutcome>(commands.length).fill(null);
    const byRoom = new Map<string, number[]>();
    commands.forEach((c, i) => {
      const room = roomOfCommand(c);
      byRoom.set(room, [...(byRoom.get(room) ?? []), i]);
    });
    const leading: number[] = [];
    const rest: number[][] = [];
    for (const indexes of byRoom.values()) {
      let k = 0;
      while (k < indexes.length && commands[indexes[k]].type === RoutingKeys.messageSend) k++;
      leading.push(...indexes.slice(0, k));
      if (k < indexes.length) rest.push(indexes.slice(k));
    }
    if (leading.length > 0) {
      const { events } = await this.store.execute(leading.map((i) => commands[i] as SendMessageCommand));
      leading.forEach((i, k) => (out[i] = events[k]));
    }
    await Promise.all(
      rest.map(async (indexes) => {
        let run: number[] = [];
        const flush = async () => {
          if (run.length === 0) return;
          const { events } = await this.store.execute(run.map((i) => commands[i] as SendMessageCommand));
          run.forEach((i, k) => (out[i] = events[k]));
          run = [];
        };
        for (const i of indexes) {
          const c = commands[i];
          if (c.type === RoutingKeys.messageSend) {
            run.push(i);
            continue;
          }
          await flush();
          out[i] = await this.applyOne(c);
        }
        await flush();
      }),
    );
    return out;
  }

  private async applyOne(c: Exclude<RoomCommand, SendMessageCommand>): Promise<RoomOutcome> {
    const a = this.appliers;
    switch (c.type) {
      case RoutingKeys.groupCommand:
        return a.group.execute(c);
      case RoutingKeys.messageReact:
        return a.react.execute(c);
      case RoutingKeys.messageEdit:
      case RoutingKeys.messageDelete:
        return a.change.execute(c);
      case RoutingKeys.userBlock:
        a.block.apply(c);
        return QUIET;
      case RoutingKeys.messageReport:
        return a.report.execute(c);
      case RoutingKeys.messageModerate:
        return a.moderate.execute(c);
      default:
        return a.pin.execute(c);
    }
  }
}
