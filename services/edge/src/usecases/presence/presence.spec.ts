import type { DeliveryEnvelope } from '@chat/contracts';
import { PresenceUseCase, type PresencePorts } from './presence.usecase';

const [ME, PAL, OTHER, STRANGER] = ['a', 'b', 'c', 'd'].map((c) => c.repeat(24));

/** The rules alone, over ports held in memory: who is told, who is answered, and what hiding does. */
describe('PresenceUseCase', () => {
  let hidden: Set<string>;
  let online: Set<string>;
  let announced: Set<string>;
  let sent: DeliveryEnvelope[];
  let useCase: PresenceUseCase;
  const contacts: Record<string, string[]> = { [ME]: [PAL, OTHER], [PAL]: [ME], [OTHER]: [ME], [STRANGER]: [] };

  beforeEach(() => {
    hidden = new Set();
    online = new Set();
    announced = new Set();
    sent = [];
    const ports: PresencePorts = {
      contactsOf: async (u) => new Set(contacts[u] ?? []),
      settings: {
        get: async (u) => ({ showPresence: !hidden.has(u), groupAdds: 'contacts', pushPreview: true }),
        set: async (u, s) => {
          if (s.showPresence) hidden.delete(u);
          else hidden.add(u);
          return s;
        },
        hidingPresence: async (ids) => new Set(ids.filter((id) => hidden.has(id))),
      },
      lastSeen: {
        cameOnline: async (u) => !announced.has(u) && Boolean(announced.add(u)),
        socketClosed: async () => undefined,
        settleOffline: async (u) => (!online.has(u) && announced.delete(u) ? new Date(1000) : null),
        read: async (ids) => new Map(ids.map((id) => [id, { online: online.has(id), lastSeenAt: online.has(id) ? null : new Date(1000) }])),
      },
      relay: async (env) => void sent.push(env),
    };
    useCase = new PresenceUseCase(ports);
  });

  it('announces a user once when it comes online and once when it settles offline, to its contacts', async () => {
    online.add(ME);
    await useCase.connected(ME);
    await useCase.connected(ME); // a second socket: nothing new
    online.delete(ME);
    await useCase.settle(ME);
    await useCase.settle(ME);
    expect(sent).toEqual([
      { userIds: [PAL, OTHER], event: 'presence', payload: { userId: ME, online: true, lastSeenAt: null } },
      { userIds: [PAL, OTHER], event: 'presence', payload: { userId: ME, online: false, lastSeenAt: new Date(1000).toISOString() } },
    ]);
  });

  it('tells nobody about a user who hides, and tells a user who hides about nobody', async () => {
    hidden.add(PAL);
    await useCase.connected(ME);
    expect(sent.map((e) => e.userIds)).toEqual([[OTHER]]);
    await useCase.connected(PAL);
    expect(sent).toHaveLength(1);
  });

  it('answers only about the caller and its contacts; anyone else makes it 404 naming them', async () => {
    await expect(useCase.query(ME, [PAL, STRANGER])).rejects.toMatchObject({ code: 'NOT_FOUND', details: { userIds: [STRANGER] } });
    online.add(PAL);
    expect(await useCase.query(ME, [PAL, ME])).toEqual({
      presence: [
        { userId: PAL, online: true, lastSeenAt: null },
        { userId: ME, online: false, lastSeenAt: new Date(1000).toISOString() },
      ],
    });
  });

  it('answers null both ways while either side hides, so neither learns which', async () => {
    hidden.add(PAL);
    expect((await useCase.query(ME, [PAL])).presence).toEqual([{ userId: PAL, online: null, lastSeenAt: null }]);
    expect((await useCase.query(PAL, [ME])).presence).toEqual([{ userId: ME, online: null, lastSeenAt: null }]);
  });

  it('tells the contacts at once when a user hides (nothing to show) and shows again (the state now)', async () => {
    online.add(ME);
    await useCase.updateSettings(ME, { showPresence: false });
    await useCase.updateSettings(ME, { showPresence: false }); // no change: nothing sent
    await useCase.updateSettings(ME, { showPresence: true });
    expect(sent.map((e) => e.payload)).toEqual([
      { userId: ME, online: null, lastSeenAt: null },
      { userId: ME, online: true, lastSeenAt: null },
    ]);
  });
});
