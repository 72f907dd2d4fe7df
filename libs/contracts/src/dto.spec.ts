import { HistoryQueryDto, parseDto, SendMessageDto } from './dto';
import { Invalid } from './errors';
import { messageIdFor, partitionOf, pairKey } from './ids';

const ok = { receiverId: 'a'.repeat(24), roomId: 'b'.repeat(24), content: 'hi', clientMsgId: 'c-1' };

describe('parseDto', () => {
  it('accepts a valid send', () => {
    expect(parseDto(SendMessageDto, ok)).toMatchObject(ok);
  });
  it.each([
    ['operator object in a field', { ...ok, roomId: { $gt: '' } }],
    ['operator as a key', { ...ok, $where: '1' }],
    ['unknown field', { ...ok, admin: true }],
    ['wrong type', { ...ok, content: 42 }],
    ['empty content', { ...ok, content: '' }],
    ['content over the limit', { ...ok, content: 'x'.repeat(4001) }],
    ['bad id', { ...ok, receiverId: 'zz' }],
    ['array body', [ok]],
    ['null body', null],
  ])('refuses %s', (_name, input) => {
    expect(() => parseDto(SendMessageDto, input)).toThrow(Invalid);
  });
  it('parses query integers and refuses junk', () => {
    expect(parseDto(HistoryQueryDto, { limit: '20', before: '7' })).toMatchObject({ limit: 20, before: 7 });
    expect(() => parseDto(HistoryQueryDto, { limit: '500' })).toThrow(Invalid);
    expect(() => parseDto(HistoryQueryDto, { limit: ['1', '2'] })).toThrow(Invalid);
    expect(() => parseDto(HistoryQueryDto, { before: '-1' })).toThrow(Invalid);
  });
});

describe('ids', () => {
  it('derives the same message id for the same sender and clientMsgId', () => {
    const s = 'a'.repeat(24);
    expect(messageIdFor(s, 'x')).toBe(messageIdFor(s, 'x'));
    expect(messageIdFor(s, 'x')).toMatch(/^[0-9a-f]{24}$/);
    expect(messageIdFor(s, 'x')).not.toBe(messageIdFor('b'.repeat(24), 'x'));
    expect(messageIdFor(s, undefined)).not.toBe(messageIdFor(s, undefined));
  });
  it('partitions stably and within range', () => {
    const p = partitionOf('abc', 8);
    expect(p).toBe(partitionOf('abc', 8));
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(8);
  });
  it('orders pair keys', () => {
    expect(pairKey('b', 'a')).toBe('a:b');
  });
});
