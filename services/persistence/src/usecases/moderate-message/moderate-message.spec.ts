import type { ModerateCommand } from '@chat/contracts';
import type { MessageDoc, ReportDoc } from '@chat/store';
import { QUIET } from '../room-outcome';
import { ModerateMessageUseCase, type ModerationPort } from './moderate-message.usecase';

const [A, B, OP, ROOM, MSG, REPORT] = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => x.repeat(24));

function setup(msg: Partial<MessageDoc> = {}) {
  const message = {
    _id: MSG,
    roomId: ROOM,
    senderId: A,
    receiverId: B,
    seq: 3,
    content: 'bad',
    deletedAt: null,
    ...msg,
  } as unknown as MessageDoc;
  const reports = new Map<string, ReportDoc>([
    [
      REPORT,
      { _id: REPORT, roomId: ROOM, messageId: MSG, reporterId: B, reason: 'x', snapshot: null, status: 'open', createdAt: new Date() },
    ],
  ]);
  const calls: string[] = [];
  const port: ModerationPort = {
    getReport: async (id) => reports.get(id) ?? null,
    resolve: async (id, outcome) => {
      const r = reports.get(id);
      if (!r || r.status !== 'open') return false;
      reports.set(id, { ...r, status: 'resolved', outcome });
      calls.push(`resolve:${outcome}`);
      return true;
    },
    resolveAllFor: async (_m, outcome) => {
      for (const [id, r] of reports) if (r.status === 'open') reports.set(id, { ...r, status: 'resolved', outcome });
      calls.push(`resolveAll:${outcome}`);
      return 1;
    },
    findByIds: async () => [message],
    applyDelete: async (_id, at, seq, by) => {
      Object.assign(message, { deletedAt: at, deletedBy: by, content: '' });
      calls.push(`delete:${seq}:${by}`);
    },
    updateLastMessage: async () => void calls.push('summary'),
    unpin: async () => (calls.push('unpin'), true),
  };
  return { uc: new ModerateMessageUseCase(port, async () => 9), calls, reports };
}

const cmd = (action: 'resolve' | 'delete'): ModerateCommand => ({
  type: 'message.moderate.v1',
  correlationId: 'x',
  reportId: REPORT,
  roomId: ROOM,
  messageId: MSG,
  operatorId: OP,
  action,
  requestedAt: new Date(0).toISOString(),
});

describe('ModerateMessageUseCase', () => {
  it('deletes as a sender’s delete does, marked moderator, closes the reports and tells both participants; a repeat tells again', async () => {
    const s = setup();
    const first = await s.uc.execute(cmd('delete'));
    expect(first).toMatchObject({ change: 'deleted', outcome: 'applied', deletedBy: 'moderator', senderId: A, peerId: B, unpinned: true });
    expect(s.calls).toEqual(['delete:9:moderator', 'summary', 'unpin', 'resolveAll:deleted']);
    // redelivered (the event lost): told again, nothing written twice
    expect(await s.uc.execute(cmd('delete'))).toEqual(first);
    expect(s.calls.filter((c) => c.startsWith('delete'))).toHaveLength(1);
  });

  it('keeps the message on resolve; the first decision counts', async () => {
    const s = setup();
    expect(await s.uc.execute(cmd('resolve'))).toBe(QUIET);
    expect(await s.uc.execute(cmd('delete'))).toBe(QUIET);
    expect(s.calls).toEqual(['resolve:kept']);
  });

  it('tells nobody when the sender deleted it first', async () => {
    const s = setup({ deletedAt: new Date() });
    expect(await s.uc.execute(cmd('delete'))).toBe(QUIET);
    expect(s.calls).toEqual(['resolveAll:deleted']);
  });
});
