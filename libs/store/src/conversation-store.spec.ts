import { lastIncomingSeq, lastSeqBySender } from './conversation-store';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);

describe('lastSeqBySender', () => {
  it('records each sender’s last seq', () => {
    expect(
      lastSeqBySender(
        new Map([
          [A, 13],
          [B, 12],
        ]),
      ),
    ).toEqual({ [`lastSeqBy.${A}`]: 13, [`lastSeqBy.${B}`]: 12 });
  });
  it('turns the room’s map off rather than write a field name it cannot trust', () => {
    expect(
      lastSeqBySender(
        new Map([
          [A, 1],
          ['x.$y', 2],
        ]),
      ),
    ).toEqual({ sendersTracked: false });
  });
});

describe('lastIncomingSeq', () => {
  it('is the last seq of a message from someone else, so a room where only the user wrote since is not read', () => {
    const c = { lastSeq: 20, lastSeqBy: { [A]: 20, [B]: 7 }, sendersTracked: true };
    expect(lastIncomingSeq(c, A)).toBe(7);
    expect(lastIncomingSeq(c, B)).toBe(20);
  });
  it('is 0 when nobody else has written', () => {
    expect(lastIncomingSeq({ lastSeq: 3, lastSeqBy: { [A]: 3 }, sendersTracked: true }, A)).toBe(0);
  });
  it('falls back to lastSeq where the map does not cover the room (older rooms, groups, a map turned off)', () => {
    expect(lastIncomingSeq({ lastSeq: 9, lastSeqBy: { [A]: 9 } }, A)).toBe(9);
    expect(lastIncomingSeq({ lastSeq: 9 }, A)).toBe(9);
    expect(lastIncomingSeq({ lastSeq: 9, lastSeqBy: { [A]: 9 }, sendersTracked: false }, A)).toBe(9);
  });
});
