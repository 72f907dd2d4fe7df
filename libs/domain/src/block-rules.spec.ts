import { BLOCKED, flagBlockedSender, judgeBlock, judgeSend } from './block-rules';

const [A, B, C] = ['a', 'b', 'c'].map((x) => x.repeat(24));
const blocks = (pairs: Array<[string, string]>) => (x: string, y: string) => pairs.some(([p, q]) => p === x && q === y);

describe('judgeSend', () => {
  it('refuses a one-to-one message to a receiver who blocks the sender, and only that', () => {
    expect(judgeSend({ senderId: A, receiverId: B }, blocks([[B, A]]))).toEqual(BLOCKED);
    // the blocker may still write to the user it blocks
    expect(judgeSend({ senderId: B, receiverId: A }, blocks([[B, A]]))).toBeNull();
    expect(judgeSend({ senderId: A, receiverId: B }, blocks([[C, A]]))).toBeNull();
  });

  it('lets a group message through: the blockers get it flagged', () => {
    expect(judgeSend({ senderId: A, receiverId: C, groupId: C }, blocks([[B, A]]))).toBeNull();
    expect(flagBlockedSender({ senderId: A, content: 'x' }, new Set([A]))).toEqual({ senderId: A, content: 'x', blockedSender: true });
    expect(flagBlockedSender({ senderId: C, content: 'x' }, new Set([A]))).toEqual({ senderId: C, content: 'x' });
  });
});

describe('judgeBlock', () => {
  it('refuses blocking oneself and a new block past the limit; blocking again is a repeat', () => {
    expect(judgeBlock(A, A, 0, false, 10)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(judgeBlock(A, B, 10, false, 10)).toMatchObject({ code: 'LIMIT_REACHED' });
    expect(judgeBlock(A, B, 10, true, 10)).toBeNull();
    expect(judgeBlock(A, B, 9, false, 10)).toBeNull();
  });
});
