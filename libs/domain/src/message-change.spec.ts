import type { DeleteMessageCommand, EditMessageCommand } from '@chat/contracts';
import { judgeChange, type ChangeableMessage } from './message-change';

const [A, B, ROOM] = ['a', 'b', 'c'].map((x) => x.repeat(24));
const T0 = Date.parse('2026-01-01T00:00:00Z');
const WINDOW = 15 * 60 * 1000;

const msg = (over: Partial<ChangeableMessage> = {}): ChangeableMessage => ({
  roomId: ROOM,
  senderId: A,
  createdAt: new Date(T0),
  deletedAt: null,
  ...over,
});
// a change the sender asked for a second after sending
const asked = { correlationId: 'c', messageId: 'd'.repeat(24), roomId: ROOM, actorId: A, requestedAt: new Date(T0 + 1000).toISOString() };
const edit = (over: Partial<EditMessageCommand> = {}): EditMessageCommand => ({
  type: 'message.edit.v1',
  ...asked,
  content: 'edited',
  ...over,
});
const del = (over: Partial<DeleteMessageCommand> = {}): DeleteMessageCommand => ({ type: 'message.delete.v1', ...asked, ...over });

describe('judgeChange', () => {
  it('lets the sender edit within the window', () => expect(judgeChange(msg(), edit(), WINDOW)).toBeNull());
  it('refuses the peer', () => expect(judgeChange(msg(), edit({ actorId: B }), WINDOW)?.code).toBe('FORBIDDEN'));
  it('refuses the peer deleting', () => expect(judgeChange(msg(), del({ actorId: B }), WINDOW)?.code).toBe('FORBIDDEN'));
  it('refuses after the window, judged at acceptance time', () => {
    expect(judgeChange(msg(), edit({ requestedAt: new Date(T0 + WINDOW + 1).toISOString() }), WINDOW)?.code).toBe('EDIT_WINDOW_CLOSED');
    expect(judgeChange(msg(), edit({ requestedAt: new Date(T0 + WINDOW).toISOString() }), WINDOW)).toBeNull();
  });
  it('refuses a group message’s sender who is no longer a member, editing or deleting', () => {
    const inGroup = msg({ groupId: ROOM });
    expect(judgeChange(inGroup, edit(), WINDOW, [A, B])).toBeNull();
    expect(judgeChange(inGroup, edit(), WINDOW, [B])?.code).toBe('NOT_FOUND');
    expect(judgeChange(inGroup, del(), WINDOW, [B])?.code).toBe('NOT_FOUND');
  });
  it('refuses editing a deleted message, and lets a deleted one be deleted again', () => {
    expect(judgeChange(msg({ deletedAt: new Date() }), edit(), WINDOW)?.code).toBe('CONFLICT');
    expect(judgeChange(msg({ deletedAt: new Date() }), del(), WINDOW)).toBeNull();
  });
  it('refuses a message of another room or none', () => {
    expect(judgeChange(msg({ roomId: B }), edit(), WINDOW)?.code).toBe('NOT_FOUND');
    expect(judgeChange(undefined, edit(), WINDOW)?.code).toBe('NOT_FOUND');
  });
  it('refuses blank content before anything else (even for a message that is not there)', () => {
    expect(judgeChange(msg(), edit({ content: '  \n' }), WINDOW)?.code).toBe('VALIDATION_FAILED');
    expect(judgeChange(undefined, edit({ content: ' ' }), WINDOW)?.code).toBe('VALIDATION_FAILED');
  });
});
