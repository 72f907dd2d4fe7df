import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '@chat/stack';
import { eventually, newUserId, TestStack } from './support/harness';

/**
 * The demo chat and the operators' dashboard, driven in Debian's Chromium (playwright-core, no bundled
 * browser): two people chat through two different edges and see each other's ticks, edits and deletes.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, '.data', 'screenshots');

describe('in a real browser', () => {
  // webhooks on with two attempts, for the dashboard's dead letters
  const t = new TestStack({ outbound: true, env: { DEMO_ENABLED: 'true', PRESENCE_GRACE_MS: '1000', OUTBOUND_ATTEMPTS: '2' } });
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await t.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t.stop();
  }, 60_000);

  const tick = (page: Page, text: string) => page.locator('.msg.mine', { hasText: text }).locator('.tick');

  /** alice's demo on edge 1 and bob's on edge 2, in new browser contexts (the earlier tests' pages closed, so nobody else is signed in). */
  async function freshDemoPages(): Promise<{ alice: Page; bob: Page; errors: string[] }> {
    for (const c of browser.contexts()) await c.close();
    const alice = await (await browser.newContext()).newPage();
    const bob = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    for (const p of [alice, bob]) p.on('pageerror', (e) => errors.push(e.message));
    await alice.goto(`${t.edge(0)}/demo`);
    await bob.goto(`${t.edge(1)}/demo`);
    return { alice, bob, errors };
  }

  /** The /admin page in a new browser context, signed in as a new operator; page errors are collected. */
  async function operatorPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${t.edge(0)}/admin/login`);
    await page.fill('#token', await t.token(newUserId(), 'admin'));
    await page.click('#sign-in');
    await page.waitForURL(`${t.edge(0)}/admin`);
    return { page, errors };
  }

  it('demo: two users chat across edges with delivered and read ticks, unread counts, edit and delete', async () => {
    const alice = await (await browser.newContext()).newPage();
    const bob = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    // what each page said and what went over its sockets, printed when a step times out
    const trace: string[] = [];
    const at = () => new Date().toISOString().slice(11, 23);
    for (const [name, p] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      p.on('pageerror', (e) => errors.push(e.message));
      p.on('console', (m) => trace.push(`${at()} ${name} console.${m.type()}: ${m.text()}`));
      p.on('websocket', (ws) => {
        ws.on('framesent', (f) => trace.push(`${at()} ${name} > ${String(f.payload).slice(0, 300)}`));
        ws.on('framereceived', (f) => trace.push(`${at()} ${name} < ${String(f.payload).slice(0, 300)}`));
        ws.on('close', () => trace.push(`${at()} ${name} socket closed`));
      });
    }
    try {
      await alice.goto(`${t.edge(0)}/demo`);
      await bob.goto(`${t.edge(1)}/demo`);
      await alice.click('button[data-user="alice"]');
      await bob.click('button[data-user="bob"]');
      await alice.locator('#status', { hasText: 'connected as alice' }).waitFor();
      await bob.locator('#status', { hasText: 'connected as bob' }).waitFor();
      // no composer until a conversation is open (it was shown at once, and a send typed before the room was
      // joined went nowhere: the cause of a flaky CI run)
      expect(await alice.locator('#composer').isVisible()).toBe(false);

      await alice.click('.peer[data-peer="bob"]');
      await alice.fill('#text', 'hello bob');
      await alice.click('#send');
      await alice.locator('.msg.mine', { hasText: 'hello bob' }).waitFor();

      // bob is online but has not opened the conversation: delivered (✓✓ grey) and one unread for him
      await eventually(async () => (await tick(alice, 'hello bob').getAttribute('data-status')) === 'delivered', 'delivered tick');
      await bob.click('button[data-user="bob"]'); // signing in again refreshes the list from the server
      await bob.locator('.peer[data-peer="alice"] .badge', { hasText: '1' }).waitFor();

      // bob opens it: he sees the message, his unread goes away, alice sees the read tick (✓✓ blue)
      await bob.click('.peer[data-peer="alice"]');
      await bob.locator('.msg', { hasText: 'hello bob' }).waitFor();
      await eventually(async () => (await tick(alice, 'hello bob').getAttribute('data-status')) === 'read', 'read tick');
      // the list refreshes after the read is sent; alice's tick can turn blue before bob's refresh lands
      await eventually(
        async () => (await bob.locator('.peer[data-peer="alice"] .badge').textContent()) === '',
        'bob’s unread badge cleared',
      );

      // a reply while both have the conversation open is read at once
      await bob.fill('#text', 'hi alice');
      await bob.click('#send');
      await alice.locator('.msg:not(.mine)', { hasText: 'hi alice' }).waitFor();
      await eventually(async () => (await tick(bob, 'hi alice').getAttribute('data-status')) === 'read', 'reply read');

      // edit, then delete; the peer sees both
      alice.once('dialog', (d) => void d.accept('hello bob, edited'));
      await alice.locator('.msg.mine', { hasText: 'hello bob' }).locator('button.edit').click();
      await bob.locator('.msg', { hasText: 'hello bob, edited' }).waitFor();
      await alice.fill('#text', 'oops');
      await alice.click('#send');
      await bob.locator('.msg', { hasText: 'oops' }).waitFor();
      await alice.locator('.msg.mine', { hasText: 'oops' }).locator('button.delete').click();
      await bob.locator('.msg.deleted', { hasText: 'This message was deleted' }).waitFor();
      expect(await bob.locator('.msg', { hasText: 'oops' }).count()).toBe(0);

      // history survives a reload, with the tombstone
      await bob.reload();
      await bob.click('button[data-user="bob"]');
      await bob.click('.peer[data-peer="alice"]');
      await bob.locator('.msg', { hasText: 'hello bob, edited' }).waitFor();
      await bob.locator('.msg.deleted').waitFor();

      await alice.screenshot({ path: join(SHOTS, 'demo-alice.png') });
      await bob.screenshot({ path: join(SHOTS, 'demo-bob.png') });
    } catch (err) {
      const status = async (p: Page) =>
        p
          .locator('#status')
          .textContent()
          .catch(() => '?');
      (err as Error).message +=
        `\nstatus: alice "${await status(alice)}", bob "${await status(bob)}"; page errors: ${JSON.stringify(errors)}\n${trace.slice(-120).join('\n')}`;
      throw err;
    }
    expect(errors).toEqual([]);
  }, 120_000);

  it('demo: Enter sends, a group is created, listed and opened, and typing, online and last seen show', async () => {
    // the pages of the test before are signed in as alice and bob too: close them, so alice can go offline below
    const { alice, bob, errors } = await freshDemoPages();
    await alice.click('button[data-user="alice"]');
    await alice.locator('#status', { hasText: 'connected as alice' }).waitFor();
    await alice.click('.peer[data-peer="bob"]'); // opens (or creates) their room
    await alice.locator('#composer').waitFor();
    await bob.click('button[data-user="bob"]');
    await bob.locator('#status', { hasText: 'connected as bob' }).waitFor();

    // online: bob's list and title show alice online
    await bob.locator('.peer[data-peer="alice"] .seen', { hasText: 'online' }).waitFor();
    await bob.click('.peer[data-peer="alice"]');
    await bob.locator('#subtitle', { hasText: 'online' }).waitFor();

    // typing shows for bob, and goes when alice sends with Enter
    await alice.locator('#text').pressSequentially('on my way', { delay: 20 });
    await bob.locator('#typing', { hasText: 'alice is typing' }).waitFor();
    await alice.press('#text', 'Enter');
    await bob.locator('.msg', { hasText: 'on my way' }).waitFor();
    await eventually(async () => (await bob.locator('#typing').textContent()) === '', 'typing indicator gone');
    expect(await alice.locator('#text').inputValue()).toBe('');

    // a group with everyone: it appears in both lists, both open it, a message typed with Enter arrives with its sender
    alice.once('dialog', (d) => void d.accept('weekend plans'));
    await alice.click('#new-group');
    await alice.locator('.peer[data-group="weekend plans"]').waitFor();
    await bob.locator('.peer[data-group="weekend plans"]').waitFor();
    await alice.click('.peer[data-group="weekend plans"]');
    await bob.click('.peer[data-group="weekend plans"]');
    await alice.locator('#title-name', { hasText: 'weekend plans' }).waitFor();
    await alice.locator('#text').pressSequentially('saturday?', { delay: 20 });
    await bob.locator('#typing', { hasText: 'alice is typing' }).waitFor();
    await alice.press('#text', 'Enter');
    const inGroup = bob.locator('.msg:not(.mine)', { hasText: 'saturday?' });
    await inGroup.waitFor();
    expect(await inGroup.locator('.sender').textContent()).toBe('alice');
    await alice.locator('.msg.mine', { hasText: 'saturday?' }).waitFor();

    // alice leaves: after the grace bob sees when she was last seen
    await alice.context().close();
    await bob.locator('.peer[data-peer="alice"] .seen', { hasText: 'last seen' }).waitFor({ timeout: 15_000 });
    await bob.screenshot({ path: join(SHOTS, 'demo-group-presence.png') });
    expect(errors).toEqual([]);
  }, 120_000);

  it('demo: a reply quotes its message, a reaction counts on both sides, a pin shows above the room, a mute marks the list, search finds', async () => {
    const { alice, bob, errors } = await freshDemoPages();
    await alice.click('button[data-user="alice"]');
    await bob.click('button[data-user="bob"]');
    await alice.locator('#status', { hasText: 'connected as alice' }).waitFor();
    await bob.locator('#status', { hasText: 'connected as bob' }).waitFor();
    await alice.click('.peer[data-peer="bob"]');
    await bob.click('.peer[data-peer="alice"]');
    await bob.locator('#composer').waitFor();

    await alice.fill('#text', 'pick a film');
    await alice.press('#text', 'Enter');
    const film = (p: Page) => p.locator('.msg', { hasText: 'pick a film' }).first();
    await film(bob).waitFor();

    // bob replies: alice sees his message quoting hers
    await film(bob).locator('button.reply').click();
    await bob.locator('#replying', { hasText: 'pick a film' }).waitFor();
    await bob.fill('#text', 'the new one');
    await bob.press('#text', 'Enter');
    const answer = alice.locator('.msg:not(.mine)', { hasText: 'the new one' });
    await answer.waitFor();
    expect(await answer.locator('.quote').textContent()).toBe('alice: pick a film');
    expect(await bob.locator('#replying').isVisible()).toBe(false);
    // the sender's own message goes below the ones before it, before and after it is stored
    expect(await bob.locator('#messages .msg').last().locator('.text').textContent()).toBe('the new one');

    // alice likes bob's answer (once it has its seq on her side): both see one 👍, hers marked as hers
    await answer.locator('button.react').click();
    await alice.locator('.msg', { hasText: 'the new one' }).locator('.reactions span.mine', { hasText: '👍 1' }).waitFor();
    await bob.locator('.msg.mine', { hasText: 'the new one' }).locator('.reactions span', { hasText: '👍 1' }).waitFor();

    // bob pins alice's message: it shows above the room for both; alice unpins it and it goes for both
    await film(bob).locator('button.pin').click();
    await alice.locator('#pins .pin', { hasText: 'pick a film' }).waitFor();
    await bob.locator('#pins .pin', { hasText: 'pick a film' }).waitFor();
    await alice.locator('#pins .pin button.unpin').click();
    await eventually(async () => (await bob.locator('#pins .pin').count()) === 0, 'unpinned on bob');

    // bob mutes the conversation: the list marks it, the button offers unmute; messages still arrive
    await bob.click('#mute');
    await bob.locator('.peer[data-peer="alice"] .muted').waitFor();
    await bob.locator('#mute', { hasText: 'unmute' }).waitFor();
    await alice.fill('#text', 'still there?');
    await alice.press('#text', 'Enter');
    await bob.locator('.msg', { hasText: 'still there?' }).waitFor();

    // bob searches his rooms: the film message is found, and opens its conversation
    await bob.fill('#search', 'FILM');
    await bob.press('#search', 'Enter');
    await bob.locator('.result', { hasText: 'pick a film' }).waitFor();
    expect(await bob.locator('.result .where').first().textContent()).toBe('alice');
    await bob.locator('.result', { hasText: 'pick a film' }).click();
    await bob.locator('#title-name', { hasText: 'alice' }).waitFor();

    // alice deletes the film message: reopened, bob's reply quotes a deleted message
    await film(alice).locator('button.delete').click();
    await eventually(async () => {
      await bob.click('.peer[data-peer="alice"]');
      return (await bob.locator('.msg', { hasText: 'the new one' }).locator('.quote.gone').count()) === 1;
    }, 'the reply quotes a tombstone');
    await bob.screenshot({ path: join(SHOTS, 'demo-reply-react-pin.png') });
    expect(errors).toEqual([]);
  }, 120_000);

  it('dashboard: an admin signs in, sees the queues, the message stages and the offline queues in bull-board; a user cannot', async () => {
    // someone offline with parked messages, so bull-board has a queue to show
    const { b, ta, roomId } = await t.pair();
    for (let i = 0; i < 3; i++)
      expect(
        (
          await t.http('POST', '/chat/messages', {
            token: ta,
            body: { receiverId: b, roomId, content: `parked ${i}`, clientMsgId: `p${i}` },
          })
        ).status,
      ).toBe(202);
    await eventually(
      async () => (await t.http('GET', `/chat/offline/${b}`, { token: await t.token(b) })).body.messages?.length === 3,
      'parked',
    );

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${t.edge(0)}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', await t.token(newUserId()));
    await page.click('#sign-in');
    await page.locator('#error', { hasText: 'does not have the admin role' }).waitFor();

    await page.fill('#token', await t.token(newUserId(), 'admin'));
    await page.click('#sign-in');
    await page.waitForURL(`${t.edge(0)}/admin`);
    await page.locator('#queues tbody tr', { hasText: `${t.namespace}.persistence.message.store.p0` }).waitFor();
    expect(await page.locator('#queues tbody tr').count()).toBe(25);
    // the stages panel: every stage in the pipeline's order, the three parked sends timed at least up to fan-out
    const stageRows = () => page.locator('#stages tbody tr').allInnerTexts();
    await eventually(async () => {
      const rows = (await stageRows()).map((r) => r.split('\t'));
      const timed = rows.filter(
        ([stage, count, p50]) => ['accepted', 'stored', 'fanned_out'].includes(stage) && Number(count) >= 3 && /ms|s$/.test(p50),
      );
      return rows.length === 5 && timed.length === 3;
    }, 'the stages panel showing the sends');
    expect((await stageRows()).map((r) => r.split('\t')[0])).toEqual(['accepted', 'stored', 'fanned_out', 'delivered', 'read']);
    await page.screenshot({ path: join(SHOTS, 'admin-queues.png'), fullPage: true });

    await page.click('#bull-board-link');
    await page.getByText(`offline.${b}`).first().waitFor({ timeout: 30_000 });
    await page.goto(`${t.edge(0)}/admin/queues/queue/${encodeURIComponent(`offline.${b}`)}?status=waiting`);
    await page.getByText('parked 2').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'admin-bull-board.png'), fullPage: true });
  }, 120_000);

  it('dashboard: an operator sees a webhook delivery that failed every attempt and replays it from the page', async () => {
    const { b, ta, roomId } = await t.pair();
    const told = (id: string) => t.webhooks.accepted.some((r) => r.raw.includes(id));
    t.webhooks.status = 500;
    let messageId: string;
    let deliveryId: string;
    try {
      const sent = await t.http('POST', '/chat/messages', { token: ta, body: { receiverId: b, roomId, content: 'to a failing receiver' } });
      messageId = sent.body.message.id as string;
      await eventually(() => t.webhooks.requests.filter((r) => r.raw.includes(messageId)).length >= 2, 'both attempts failed');
      deliveryId = String(t.webhooks.requests.find((r) => r.raw.includes(messageId))!.headers['x-chat-webhook-id']);
    } finally {
      t.webhooks.status = 204;
    }

    const { page, errors } = await operatorPage();
    const row = page.locator('#outbound tbody tr', { hasText: deliveryId });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('receiver answered 500');
    await page.screenshot({ path: join(SHOTS, 'admin-outbound.png'), fullPage: true });
    expect(told(messageId)).toBe(false);
    await row.getByRole('button', { name: 'Replay' }).click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    await eventually(() => told(messageId), 'delivered after the replay');
    expect(errors).toEqual([]);
  }, 120_000);

  it('dashboard: an operator sees a reported message with its reason and deletes it from the page', async () => {
    const { a, ta, tb, roomId } = await t.pair();
    const sent = await t.http('POST', '/chat/messages', { token: tb, body: { receiverId: a, roomId, content: 'report me' } });
    await eventually(async () => (await t.storedMessages(roomId, ta)).some((m) => m.id === sent.body.message.id), 'stored');
    expect((await t.http('POST', `/chat/message/${sent.body.message.id}/report`, { token: ta, body: { reason: 'rude' } })).status).toBe(
      202,
    );

    const { page, errors } = await operatorPage();
    const row = page.locator('#reports tbody tr', { hasText: 'report me' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('rude');
    await page.screenshot({ path: join(SHOTS, 'admin-reports.png'), fullPage: true });
    await row.getByRole('button', { name: 'Delete message' }).click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    await eventually(
      async () =>
        ((await t.http('GET', `/chat/messages/${roomId}`, { token: tb })).body.messages as any[]).some(
          (m) => m.id === sent.body.message.id && m.deletedBy === 'moderator',
        ),
      'the message is a moderator’s tombstone',
    );
    expect(errors).toEqual([]);
  }, 120_000);
});
