import type { MessageView, TombstoneView } from '@chat/contracts';
import { eventually, TestStack } from './support/harness';

/** A deterministic pseudo-random script, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

type Op =
  | { kind: 'send'; key: string; content: string }
  | { kind: 'edit'; key: string; content: string }
  | { kind: 'delete'; key: string }
  | { kind: 'read'; key: string }
  | { kind: 'delivered'; key: string };

/** 500 sends, edits, deletes and receipts in flight at once end in the state their serial order gives. */
describe('mixed operations under concurrency', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('ends in the state a serial order would give', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1, { ackReceives: false });
    const rand = rng(42);

    // the script: alice's writes in order; bob's receipts name messages alice has already sent
    const script: Op[] = [];
    const sent: string[] = [];
    for (let i = 0; i < 500; i++) {
      const r = rand();
      if (sent.length < 5 || r < 0.5) {
        const key = `k${sent.length}`;
        sent.push(key);
        script.push({ kind: 'send', key, content: `m${i}` });
      } else if (r < 0.75) script.push({ kind: 'edit', key: sent[Math.floor(rand() * sent.length)], content: `e${i}` });
      else if (r < 0.82) script.push({ kind: 'delete', key: sent[Math.floor(rand() * sent.length)] });
      else if (r < 0.91) script.push({ kind: 'read', key: sent[Math.floor(rand() * Math.max(1, sent.length - 3))] });
      else script.push({ kind: 'delivered', key: sent[Math.floor(rand() * Math.max(1, sent.length - 3))] });
    }

    // the serial answer
    const expected = new Map<string, { content: string; deleted: boolean }>();
    for (const op of script) {
      const cur = expected.get(op.key);
      if (op.kind === 'send') expected.set(op.key, { content: op.content, deleted: false });
      else if (op.kind === 'edit' && cur && !cur.deleted) cur.content = op.content;
      else if (op.kind === 'delete' && cur) cur.deleted = true;
    }

    // run it: alice's ops pipelined on her socket without waiting; bob's receipts as his messages arrive
    const ids = new Map<string, Promise<string>>();
    const pending: Array<Promise<unknown>> = [];
    for (const op of script) {
      if (op.kind === 'send') {
        const p = alice.request('send_message', { receiverId: b, roomId, content: op.content, clientMsgId: op.key }, 30_000).then((r) => {
          if (!r.ok) throw new Error(`send refused: ${JSON.stringify(r)}`);
          return r.message.id as string;
        });
        ids.set(op.key, p);
        pending.push(p);
      } else if (op.kind === 'edit' || op.kind === 'delete') {
        // the id is derived from (sender, clientMsgId): alice knows it as soon as she sent, but we take it from the ack
        pending.push(
          ids
            .get(op.key)!
            .then((id) =>
              op.kind === 'edit'
                ? alice.request('edit_message', { messageId: id, newContent: op.content }, 30_000)
                : alice.request('delete_message', { messageId: id }, 30_000),
            ),
        );
      } else {
        // a receiver names a message only once it has it
        pending.push(
          ids.get(op.key)!.then(async (id) => {
            await bob.waitFor(() => bob.received.some((m) => m.id === id), `bob receives ${op.key}`, 60_000);
            return bob.request(op.kind === 'read' ? 'message_read' : 'message_delivered', { messageId: id }, 30_000);
          }),
        );
      }
    }
    const results = await Promise.all(pending);
    expect(results.filter((r) => r && typeof r === 'object' && 'ok' in r && !(r as { ok: boolean }).ok)).toEqual([]);

    // wait for the workers to drain, then compare the stored state with the serial answer
    const readAll = async () => {
      const out: Array<MessageView | TombstoneView> = [];
      let after = 0;
      for (;;) {
        const page = await t.http('GET', `/chat/messages/${roomId}?after=${after}&limit=100`, { token: ta });
        out.push(...page.body.messages);
        if (!page.body.hasMore) return out;
        after = page.body.messages[page.body.messages.length - 1].seq;
      }
    };
    const idToKey = new Map<string, string>();
    for (const [key, p] of ids) idToKey.set(await p, key);
    const matches = async () => {
      const stored = await readAll();
      if (stored.length !== expected.size) return false;
      return stored.every((m) => {
        const want = expected.get(idToKey.get(m.id)!);
        if (!want) return false;
        return 'deleted' in m ? want.deleted : !want.deleted && m.content === want.content;
      });
    };
    await eventually(matches, 'stored state equals the serial state', 60_000);

    // order: seqs follow the send order of the script
    const stored = await readAll();
    const storedKeys = stored.map((m) => idToKey.get(m.id));
    expect(storedKeys).toEqual(script.filter((o) => o.kind === 'send').map((o) => o.key));

    // receipts: bob's read cursor is the furthest message he marked read, never less
    const readKeys = script.filter((o) => o.kind === 'read').map((o) => o.key);
    const furthest = Math.max(...readKeys.map((k) => storedKeys.indexOf(k)));
    await eventually(async () => {
      const view = (await readAll()).filter((m): m is MessageView => !('deleted' in m));
      return view.every((m) => (storedKeys.indexOf(idToKey.get(m.id)) <= furthest ? m.status === 'read' : m.status !== 'read'));
    }, 'read status up to the furthest read receipt');
  });
});
