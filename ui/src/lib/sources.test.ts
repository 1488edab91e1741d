import { describe, expect, it } from 'vitest';
import { offline, schedule, shown } from './sources';
import type { Source, SourceJob, SourceRow } from './bindings';

const source: Source = {
  id: 's1',
  kind: 'defectdojo',
  name: 'Dojo',
  url: 'https://dojo.example',
  last_sync_at: null,
  last_result: null,
  last_problem: null,
  every_hours: null,
  last_tried_at: null,
  scope: null,
};
const job: SourceJob = {
  kind: 'sync',
  started_at: '2026-12-05T10:29:00.000Z',
  running: true,
  pages: 0,
  findings: 0,
  doing: 'starting',
  rate_limited: false,
  ok: null,
  outcome: null,
  cancelling: false,
};
const row = (s: Partial<Source> = {}, j: Partial<SourceJob> | null = null): SourceRow => ({
  source: { ...source, ...s },
  job: j ? { ...job, ...j } : null,
  due: false,
});
const now = new Date('2026-12-05T10:30:00.000Z');

describe('shown', () => {
  it('says a source never synced is new', () => {
    expect(shown(row(), now).phase).toBe('new');
  });
  it('puts a running job first, with what it landed and why it waits', () => {
    const s = shown(row({ last_problem: 'old' }, { pages: 3, findings: 750, doing: 'the API asked to slow down: waiting 30 s', rate_limited: true }), now);
    expect(s).toEqual({
      phase: 'syncing',
      title: 'Syncing…',
      detail: '3 pages, 750 findings so far · the API asked to slow down: waiting 30 s',
      rateLimited: true,
    });
    expect(shown(row({}, { kind: 'test', doing: 'asking the API' }), now).phase).toBe('testing');
    expect(shown(row({}, { kind: 'full_sync', cancelling: true }), now).detail).toBe('stopping at the next wait…');
  });
  it('shows a test until the next job, then the record', () => {
    const ok = shown(row({ last_sync_at: '2026-12-05T10:00:00.000Z' }, { kind: 'test', running: false, ok: true, outcome: 'Dojo answers' }), now);
    expect([ok.phase, ok.detail]).toEqual(['reachable', 'Dojo answers']);
    const refused = shown(row({}, { kind: 'test', running: false, ok: false, outcome: 'the API token is not accepted' }), now);
    expect([refused.phase, refused.title]).toEqual(['failed', 'Test failed']);
    const synced = shown(row({ last_sync_at: '2026-12-05T10:25:00.000Z', last_result: '2 pages' }, { running: false, ok: true, outcome: '2 pages' }), now);
    expect([synced.phase, synced.title, synced.detail]).toEqual(['done', 'Synced 5 min ago', '2 pages']);
  });
  it('says a cancelled sync is not a failure, and no network in words', () => {
    const c = shown(row({ last_problem: "source 'Dojo': the sync was cancelled" }, { running: false, ok: false, cancelling: true }), now);
    expect([c.phase, c.title]).toEqual(['cancelled', 'Sync cancelled']);
    const away = shown(row({ last_problem: 'http://127.0.0.1:9/: cannot connect: Connection refused (os error 111)' }), now);
    expect([away.phase, away.title]).toEqual(['failed', 'Could not reach the source']);
  });
  it('says a failed sync with its problem and when', () => {
    const s = shown(row({ last_problem: 'source \'Dojo\': 500', last_tried_at: '2026-12-05T10:25:00.000Z' }), now);
    expect([s.phase, s.detail]).toEqual(['failed', "source 'Dojo': 500 (5 min ago)"]);
  });
});

describe('schedule', () => {
  it('says when the next sync is, an hour after a failure', () => {
    expect(schedule(source, now)).toBeNull();
    expect(schedule({ ...source, every_hours: 4 }, now)).toBe('Every 4 h · first sync now');
    expect(schedule({ ...source, every_hours: 4, last_tried_at: '2026-12-05T09:00:00.000Z' }, now)).toBe('Every 4 h · next at 13:00');
    expect(schedule({ ...source, every_hours: 24, last_tried_at: '2026-12-05T10:10:00.000Z', last_problem: 'x' }, now)).toBe(
      'Every 24 h · next at 11:10 (retry)',
    );
    expect(schedule({ ...source, every_hours: 1, last_tried_at: '2026-12-05T09:00:00.000Z' }, now)).toBe('Every hour · due now');
  });
});

describe('offline', () => {
  it('tells no network from a server that answered', () => {
    expect(offline('error sending request for url (http://127.0.0.1:9/): client error (Connect): tcp connect error: Connection refused (os error 111)')).toBe(true);
    expect(offline('dns error: failed to lookup address information')).toBe(true);
    expect(offline('http://127.0.0.1:9/api: cannot connect: Connection refused (os error 111)')).toBe(true);
    expect(offline('the API token is not accepted')).toBe(false);
    expect(offline('cannot connect: invalid peer certificate: UnknownIssuer')).toBe(false);
    expect(offline(null)).toBe(false);
  });
});
