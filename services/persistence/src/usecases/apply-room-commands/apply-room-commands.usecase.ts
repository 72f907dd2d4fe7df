import { RoutingKeys, type FanoutEvent, type RoomCommand, type SendMessageCommand } from '@chat/contracts';
import type { ApplyGroupCommandUseCase } from '../apply-group-command/apply-group-command.usecase';
import type { ChangeMessageUseCase } from '../change-message/change-message.usecase';
import type { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';

/**
 * Applies a batch of room commands in each room's order: consecutive sends are stored together; an edit,
 * a delete or a group command waits for the sends before it and runs alone. Rooms proceed in parallel. Returns one event per
 * command in input order (null: dead-letter it).
 */
export class ApplyRoomCommandsUseCase {
  constructor(
    private readonly store: StoreMessagesUseCase,
    private readonly change: ChangeMessageUseCase,
    private readonly group: ApplyGroupCommandUseCase,
  ) {}

  async execute(commands: RoomCommand[]): Promise<Array<FanoutEvent | null>> {
    const out: Array<FanoutEvent | null> = new Array(commands.length).fill(null);
    const byRoom = new Map<string, number[]>();
    commands.forEach((c, i) => {
      const room = c.type === RoutingKeys.messageSend ? c.message.roomId : c.type === RoutingKeys.groupCommand ? c.groupId : c.roomId;
      byRoom.set(room, [...(byRoom.get(room) ?? []), i]);
    });
    await Promise.all(
      [...byRoom.values()].map(async (indexes) => {
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
          out[i] = c.type === RoutingKeys.groupCommand ? await this.group.execute(c) : await this.change.execute(c);
        }
        await flush();
      }),
    );
    return out;
  }
}
