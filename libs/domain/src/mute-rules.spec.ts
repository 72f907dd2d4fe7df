import { decideMute, isMuted } from './mute-rules';

const NOW = new Date('2030-01-01T00:00:00Z');
const later = new Date(NOW.getTime() + 60_000);

describe('isMuted', () => {
  it('holds until unmuted, or until mutedUntil passes', () => {
    expect(isMuted(null, NOW)).toBe(false);
    expect(isMuted({ muted: false }, NOW)).toBe(false);
    expect(isMuted({ muted: true, mutedUntil: null }, NOW)).toBe(true);
    expect(isMuted({ muted: true, mutedUntil: later }, NOW)).toBe(true);
    expect(isMuted({ muted: true, mutedUntil: later.toISOString() }, new Date(later.getTime() + 1))).toBe(false);
  });
});

describe('decideMute', () => {
  it('mutes with or without an end, and clears', () => {
    expect(decideMute({ muted: true }, NOW)).toEqual({ muted: true, mutedUntil: null });
    expect(decideMute({ muted: true, until: later.toISOString() }, NOW)).toEqual({ muted: true, mutedUntil: later });
    expect(decideMute({ muted: false }, NOW)).toEqual({ muted: false, mutedUntil: null });
  });

  it('refuses an end in the past, an unreadable one, or one with muted: false', () => {
    expect(() => decideMute({ muted: true, until: NOW.toISOString() }, NOW)).toThrow('future');
    expect(() => decideMute({ muted: true, until: 'tomorrow' }, NOW)).toThrow('ISO 8601');
    expect(() => decideMute({ muted: false, until: later.toISOString() }, NOW)).toThrow('muted: true');
  });
});
