import { judgeModeration, judgeReport } from './report-rules';

const [A, B, ROOM] = ['a', 'b', 'c'].map((x) => x.repeat(24));

describe('judgeReport', () => {
  const msg = { senderId: B, seq: 5, deletedAt: null };
  it('lets a member report someone else’s message it can see', () => {
    expect(judgeReport(msg, A, 0)).toBeNull();
  });
  it('answers an outsider, or a member who joined after the message, as if it did not exist', () => {
    expect(judgeReport(msg, A, null)).toMatchObject({ code: 'NOT_FOUND' });
    expect(judgeReport(msg, A, 5)).toMatchObject({ code: 'NOT_FOUND' });
    expect(judgeReport(null, A, 0)).toMatchObject({ code: 'NOT_FOUND' });
  });
  it('refuses one’s own message and a deleted one', () => {
    expect(judgeReport(msg, B, 0)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(judgeReport({ ...msg, deletedAt: new Date() }, A, 0)).toMatchObject({ code: 'CONFLICT' });
  });
});

describe('judgeModeration', () => {
  it('acts only on an open report', () => {
    expect(judgeModeration({ status: 'open', roomId: ROOM, messageId: A })).toBeNull();
    expect(judgeModeration({ status: 'resolved', roomId: ROOM, messageId: A })).toMatchObject({ code: 'CONFLICT' });
    expect(judgeModeration(null)).toMatchObject({ code: 'NOT_FOUND' });
  });
});
