import type { PushWindow } from '@chat/delivery';
import { excerpt, PREVIEW_MAX, pushDeliveryId, SendPushUseCase, type PushBody } from './send-push.usecase';

const U = 'a'.repeat(24);
const R = 'c'.repeat(24);
const S = 'b'.repeat(24);
const id = (n: number) => n.toString(16).padStart(24, '0');

function windowOf(n: number): PushWindow {
  return { userId: U, roomId: R, messages: Array.from({ length: n }, (_, i) => ({ messageId: id(i + 1), senderId: S, seq: i + 1 })) };
}

function setup(o: { online?: boolean; muted?: boolean; pushPreview?: boolean; content?: string | null } = {}) {
  const sent: Array<{ kind: string; url: string; deliveryId: string; body: unknown }> = [];
  const read: string[] = [];
  const uc = new SendPushUseCase(
    {
      presence: { whereOnline: async (ids) => new Map(o.online ? ids.map((u) => [u, new Set(['e1'])]) : []) },
      mutes: { mutedAmong: async (_room, ids) => new Set(o.muted ? ids : []) },
      settings: { get: async () => ({ pushPreview: o.pushPreview ?? true }) },
      contentOf: async (messageId) => {
        read.push(messageId);
        return o.content === undefined ? `text of ${messageId}` : o.content;
      },
      outbound: { add: async (d) => void sent.push(...d) },
    },
    'http://push.test/hook',
  );
  return { uc, sent, read };
}

describe('SendPushUseCase', () => {
  it('sends one push for the window: the newest message, its sender, the count and a preview', async () => {
    const s = setup();
    expect(await s.uc.fire(windowOf(50))).toBe('sent');
    expect(s.sent).toEqual([
      {
        kind: 'push',
        url: 'http://push.test/hook',
        deliveryId: pushDeliveryId(windowOf(50)),
        body: { userId: U, roomId: R, messageId: id(50), senderId: S, count: 50, preview: `text of ${id(50)}` },
      },
    ]);
  });

  it('with previews off sends no text and reads none', async () => {
    const s = setup({ pushPreview: false });
    await s.uc.fire(windowOf(3));
    const body = s.sent[0].body as PushBody;
    expect(body).toEqual({ userId: U, roomId: R, messageId: id(3), senderId: S, count: 3 });
    expect('preview' in body).toBe(false);
    expect(s.read).toEqual([]);
  });

  it('sends nothing to a user online again or to a muted room', async () => {
    for (const o of [{ online: true }, { muted: true }]) {
      const s = setup(o);
      expect(await s.uc.fire(windowOf(2))).toBe(o.online ? 'online' : 'muted');
      expect(s.sent).toEqual([]);
    }
  });

  it('leaves the preview out when the newest message is gone', async () => {
    const s = setup({ content: null });
    await s.uc.fire(windowOf(1));
    expect(s.sent[0].body).toEqual({ userId: U, roomId: R, messageId: id(1), senderId: S, count: 1 });
  });

  it('names a window by its messages: the same window again is the same delivery, another is not', () => {
    expect(pushDeliveryId(windowOf(2))).toBe(pushDeliveryId(windowOf(2)));
    expect(pushDeliveryId(windowOf(2))).not.toBe(pushDeliveryId(windowOf(3)));
    expect(pushDeliveryId({ ...windowOf(2), userId: S })).not.toBe(pushDeliveryId(windowOf(2)));
  });

  it('cuts a long preview at whole characters', () => {
    expect(excerpt('short')).toBe('short');
    const long = '😀'.repeat(PREVIEW_MAX + 5);
    expect(excerpt(long)).toBe(`${'😀'.repeat(PREVIEW_MAX)}…`);
  });
});
