import { describe, expect, it } from 'vitest';
import { ago, shown, summary, words } from './hub';
import type { HubStatus } from './bindings';

const base: HubStatus = {
  url: 'http://hub.example:7878',
  workspace_id: 'ws',
  device_id: 'dev',
  waiting: 0,
  conflicts: 0,
  last_sync_at: null,
  last_attempt_at: null,
  last_problem: null,
};
const now = new Date('2026-12-05T10:30:00.000Z');

describe('summary', () => {
  it('says a workspace without a hub is not shared', () => {
    expect(summary({ ...base, url: null }, now)).toEqual({ text: 'Not shared', tone: 'idle' });
  });
  it('says when the last sync was, and what waits', () => {
    expect(summary({ ...base, last_sync_at: '2026-12-05T10:25:00.000Z' }, now)).toEqual({ text: 'Synced 5 min ago', tone: 'ok' });
    expect(summary({ ...base, last_sync_at: '2026-12-05T10:29:40.000Z', waiting: 3 }, now)).toEqual({
      text: 'Synced just now · 3 to sync',
      tone: 'waiting',
    });
  });
  it('is offline when the last try failed after the last success', () => {
    const s = { ...base, last_sync_at: '2026-12-05T08:00:00.000Z', last_attempt_at: '2026-12-05T10:00:00.000Z', waiting: 1 };
    expect(summary(s, now)).toEqual({ text: 'Offline · 1 to sync', tone: 'offline' });
    expect(summary({ ...base, last_attempt_at: '2026-12-05T10:00:00.000Z' }, now)).toEqual({ text: 'Offline', tone: 'offline' });
    expect(summary({ ...base, waiting: 1234 }, now)).toEqual({ text: '1,234 to sync', tone: 'waiting' });
    expect(summary(base, now)).toEqual({ text: 'Not synced yet', tone: 'waiting' });
    expect(summary({ ...s, last_sync_at: '2026-12-05T10:10:00.000Z' }, now).tone).toBe('waiting');
    expect(summary({ ...s, waiting: 0, last_sync_at: '2026-12-05T10:10:00.000Z' }, now).tone).toBe('ok');
  });
  it('puts conflicts first: they wait for a person', () => {
    expect(summary({ ...base, conflicts: 2, last_attempt_at: '2026-12-05T10:00:00.000Z' }, now)).toEqual({ text: '2 conflicts', tone: 'conflict' });
  });
});

describe('ago and shown', () => {
  it('reads times and values as people do', () => {
    expect(ago('2026-12-05T07:30:00.000Z', now)).toBe('3 h ago');
    expect(ago('2026-12-01T10:30:00.000Z', now)).toBe('4 days ago');
    expect(shown(null)).toBe('—');
    expect(shown('Tuesday window')).toBe('Tuesday window');
    expect(shown(3)).toBe('3');
    expect(words('work_item')).toBe('work item');
    expect(words('ops_owner_id')).toBe('ops owner');
  });
});
