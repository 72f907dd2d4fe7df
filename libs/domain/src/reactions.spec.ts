import { applyReaction, judgeReaction, MAX_REACTION_KINDS, reactionCounts, reactionsOf, type ReactableMessage } from './reactions';

const [A, B, C, ROOM] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(24));
const msg = (over: Partial<ReactableMessage> = {}): ReactableMessage => ({ roomId: ROOM, senderId: A, receiverId: B, ...over });
const react = (over: Partial<{ actorId: string; emoji: string; on: boolean; roomId: string }> = {}) => ({
  roomId: ROOM,
  actorId: B,
  emoji: '👍',
  on: true,
  ...over,
});

describe('judgeReaction', () => {
  it('lets either side of a one-to-one message react, and nobody else', () => {
    expect(judgeReaction(msg(), react())).toBeNull();
    expect(judgeReaction(msg(), react({ actorId: A }))).toBeNull();
    expect(judgeReaction(msg(), react({ actorId: C }))?.code).toBe('NOT_FOUND');
  });
  it('lets a group message be reacted to by current members only', () => {
    const inGroup = msg({ groupId: ROOM, receiverId: ROOM });
    expect(judgeReaction(inGroup, react({ actorId: C }), [A, C])).toBeNull();
    expect(judgeReaction(inGroup, react({ actorId: B }), [A, C])?.code).toBe('NOT_FOUND');
  });
  it('refuses a deleted message, one of another room, or none', () => {
    expect(judgeReaction(msg({ deletedAt: new Date() }), react())?.code).toBe('CONFLICT');
    expect(judgeReaction(msg({ roomId: C }), react())?.code).toBe('NOT_FOUND');
    expect(judgeReaction(null, react())?.code).toBe('NOT_FOUND');
  });
  it('refuses an emoji that is empty, too long or holds white space', () => {
    for (const emoji of ['', 'x'.repeat(17), 'a b', '\n']) expect(judgeReaction(msg(), react({ emoji }))?.code).toBe('VALIDATION_FAILED');
    expect(judgeReaction(msg(), react({ emoji: '👨‍👩‍👧‍👦' }))).toBeNull();
  });
  it(`refuses a new emoji past ${MAX_REACTION_KINDS} kinds, not one already there nor a take-back`, () => {
    const full = msg({ reactions: Array.from({ length: MAX_REACTION_KINDS }, (_, i) => ({ emoji: `e${i}`, userIds: [A] })) });
    expect(judgeReaction(full, react({ emoji: 'new' }))?.code).toBe('LIMIT_REACHED');
    expect(judgeReaction(full, react({ emoji: 'e3' }))).toBeNull();
    expect(judgeReaction(full, react({ emoji: 'new', on: false }))).toBeNull();
  });
});

describe('applyReaction', () => {
  it('adds a user once per emoji, and drops an emoji nobody keeps', () => {
    let list = applyReaction([], A, '👍', true);
    list = applyReaction(list, A, '👍', true);
    list = applyReaction(list, B, '👍', true);
    list = applyReaction(list, B, '🎉', true);
    expect(reactionCounts(list)).toEqual({ '👍': 2, '🎉': 1 });
    expect(reactionsOf(list, B)).toEqual(['👍', '🎉']);
    list = applyReaction(list, B, '🎉', false);
    list = applyReaction(list, B, '🎉', false);
    expect(list).toEqual([{ emoji: '👍', userIds: [A, B] }]);
  });
  it('does not change the list it was given', () => {
    const before = [{ emoji: '👍', userIds: [A] }];
    applyReaction(before, B, '👍', true);
    expect(before).toEqual([{ emoji: '👍', userIds: [A] }]);
  });
  it('counts an emoji named like an object property as a plain key', () => {
    const counts = reactionCounts(applyReaction(null, A, '__proto__', true));
    expect(Object.keys(counts)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
  });
});
