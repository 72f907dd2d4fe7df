import { judgeReplyTarget, replyExcerpt, REPLY_EXCERPT_LENGTH } from './replies';

const ROOM = 'a'.repeat(24);

describe('replyExcerpt', () => {
  it('keeps a short message whole and cuts a long one on a code point', () => {
    expect(replyExcerpt('hello')).toBe('hello');
    expect(replyExcerpt('x'.repeat(250))).toHaveLength(REPLY_EXCERPT_LENGTH);
    const emoji = replyExcerpt('😀'.repeat(150));
    expect(Array.from(emoji)).toHaveLength(REPLY_EXCERPT_LENGTH);
    expect(emoji.endsWith('😀')).toBe(true);
  });
});

describe('judgeReplyTarget', () => {
  it('accepts a live message of the same room', () => expect(judgeReplyTarget({ roomId: ROOM, seq: 3 }, ROOM)).toBeNull());
  it('refuses one of another room, none, one before the sender joined, or a deleted one', () => {
    expect(judgeReplyTarget({ roomId: 'b'.repeat(24), seq: 3 }, ROOM)).toMatch(/this room/);
    expect(judgeReplyTarget(null, ROOM)).toMatch(/this room/);
    expect(judgeReplyTarget({ roomId: ROOM, seq: 3 }, ROOM, 5)).toMatch(/this room/);
    expect(judgeReplyTarget({ roomId: ROOM, seq: 6 }, ROOM, 5)).toBeNull();
    expect(judgeReplyTarget({ roomId: ROOM, seq: 3, deletedAt: new Date() }, ROOM)).toMatch(/deleted/);
  });
});
