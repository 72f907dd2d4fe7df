import { eventually, TestStack } from './support/harness';

/** What an edge's /metrics says it was handed, summed over the counter's labels matching `labels`. */
async function deliveriesAt(t: TestStack, edge: string, labels = ''): Promise<number> {
  const text = await fetch(`${t.stack.opsUrls.get(edge)}/metrics`).then((r) => r.text());
  return text
    .split('\n')
    .filter((l) => l.startsWith('chat_edge_deliveries_received_total{') && l.includes(labels))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * Deliveries go only to the edges holding their users: with three edges and every user on the first two,
 * the third parses nothing, however much traffic there is; a user with sockets on two edges gets the
 * message on each socket, once.
 */
describe('deliveries reach only the edges that hold the users', () => {
  const t = new TestStack({ edges: 3 });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('sends nothing to an edge with no recipient on it', async () => {
    const pairs = await Promise.all([0, 1, 2, 3].map(() => t.pair()));
    const senders = await Promise.all(pairs.map((p, i) => t.connect(p.ta, i % 2)));
    const receivers = await Promise.all(pairs.map((p, i) => t.connect(p.tb, (i + 1) % 2)));
    // one receiver also has a second device, on the other busy edge
    const second = await t.connect(pairs[0].tb, 0);
    const idleBefore = await deliveriesAt(t, 'edge-3');

    for (let n = 0; n < 25; n++) {
      await Promise.all(
        pairs.map((p, i) =>
          senders[i]
            .request('send_message', { receiverId: p.b, roomId: p.roomId, content: `m${n}`, clientMsgId: `r${i}-${n}` })
            .then((r) => expect(r.ok).toBe(true)),
        ),
      );
    }
    for (const r of [...receivers, second]) await r.waitFor(() => r.received.length >= 25, '25 messages at each receiving socket');
    await eventually(
      async () => (await deliveriesAt(t, 'edge-1', 'held="yes"')) + (await deliveriesAt(t, 'edge-2', 'held="yes"')) >= 4 * 25 * 2,
      'busy edges counted their deliveries',
    );

    for (const r of [...receivers, second]) expect(r.received.map((m) => m.content)).toEqual([...Array(25).keys()].map((n) => `m${n}`));
    // with deliveries sent to every edge, the third parsed every batch and counted them (held="no")
    expect((await deliveriesAt(t, 'edge-3')) - idleBefore).toBe(0);
    // and the busy edges were sent only batches for users they hold
    expect(await deliveriesAt(t, 'edge-1', 'held="no"')).toBe(0);
    expect(await deliveriesAt(t, 'edge-2', 'held="no"')).toBe(0);
  });
});
