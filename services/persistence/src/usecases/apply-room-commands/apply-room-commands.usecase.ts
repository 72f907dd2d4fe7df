import { RoutingKeys, type FanoutEvent, type RoomCommand, type SendMessageCommand } from '@chat/contracts';
import type { ApplyGroupCommandUseCase } from '../apply-group-command/apply-group-command.usecase';
import type { ChangeMessageUseCase } from '../change-message/change-message.usecase';
import type { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';

/**
 * Applies a batch of room commands in each room's order: consecutive sends are stored together; an edit,
 * a delete or a group command waits for the sends before it and runs alone. Rooms proceed side by side,
 * and the sends of every room are stored in one round (see execute). Returns one event per command in
 * input order (null: dead-letter it).
 */
export class ApplyRoomCommandsUseCase {
  constructor(
    private readonly store: StoreMessagesUseCase,
    private readonly change: ChangeMessageUseCase,
    private readonly group: ApplyGroupCommandUseCase,
  ) {}

  async execute(commands: RoomCommand[]): Promise<Array<FanoutEvent | null>> {
    const out: Array<FanoutEvent | null> = new Array(commands.length).fill(null);
    // each room's commands as segments: a run of consecutive sends, or one other command
    const segments = new Map<string, number[][]>();
    commands.forEach((c, i) => {
      const room = c.type === RoutingKeys.messageSend ? c.message.roomId : c.type === RoutingKeys.groupCommand ? c.groupId : c.roomId;
      const list = segments.get(room) ?? [];
      const last = list[list.length - 1];
      if (c.type === RoutingKeys.messageSend && last && commands[last[0]].type === RoutingKeys.messageSend) last.push(i);
      else list.push([i]);
      segments.set(room, list);
    });
    // in waves: every room's next segment at once; the sends of all rooms in a wave are stored together
    // (one bulk seq reservation, one insert), the other commands beside them, each room still in order
    for (let wave = 0; ; wave++) {
      const heads = [...segments.values()].map((list) => list[wave]).filter((seg): seg is number[] => seg !== undefined);
      if (heads.length === 0) break;
      const sends = heads.filter((seg) => commands[seg[0]].type === RoutingKeys.messageSend).flat();
      const others = heads.filter((seg) => commands[seg[0]].type !== RoutingKeys.messageSend).map((seg) => seg[0]);
      await Promise.all([
        (async () => {
          if (sends.length === 0) return;
          const { events } = await this.store.execute(sends.map((i) => commands[i] as SendMessageCommand));
          sends.forEach((i, k) => (out[i] = events[k]));
        })(),
        ...others.map(async (i) => {
          const c = commands[i];
          out[i] = c.type === RoutingKeys.groupCommand ? await this.group.execute(c) : c.type === RoutingKeys.messageSend ? null : await this.change.execute(c);
        }),
      ]);
    }
    return out;
  }
}
