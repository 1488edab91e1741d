import { describe, expect, it } from 'vitest';
import type { WorkItemCard } from './bindings';
import { backlogOf, backlogRows, emptyFilter, History, matches, shift, span, weekOf } from './board';

// The tests run with TZ=UTC (vitest.config / package script), so local days are UTC days.
const card = (over: Partial<WorkItemCard>): WorkItemCard => ({
  id: 'id', title: 'Upgrade PHP', action: 'Upgrade to PHP 7.3', team_id: 't1', team: 'Web Platform', environment: 'prod',
  state: 'backlog', severity: 'high', known_exploited: false, findings: 3, findings_fixed: 0, assets: 2, assets_fixed: 0,
  due_at: '2026-12-10T00:00:00Z', sla: 'on_track', security_owner: null, ops_owner: null, approver: null, window_id: null,
  window_name: null, occurrence_start: null, group_key: null, pinned: false, missed_commitments: 0, open_commitment: null, hosts: [], ...over,
});

describe('backlog', () => {
  it('keeps unplaced, unfinished items that match every filter', () => {
    const items = [
      card({ id: 'a' }),
      card({ id: 'b', window_id: 'w', occurrence_start: '2026-12-01T21:00:00Z' }),
      card({ id: 'c', state: 'done' }),
      card({ id: 'd', severity: 'low', title: 'Disable TLS 1.0' }),
    ];
    expect(backlogRows(backlogOf(items), emptyFilter(), 'none').map((r) => (r.kind === 'item' ? r.item.id : r.key))).toEqual(['a', 'd']);
    expect(backlogRows(backlogOf(items), { ...emptyFilter(), severities: ['low'] }, 'none').length).toBe(1);
    expect(matches(items[3], { ...emptyFilter(), text: 'tls disable' })).toBe(true);
    expect(matches(items[3], { ...emptyFilter(), text: 'tls openssl' })).toBe(false);
    expect(matches(items[0], { ...emptyFilter(), knownExploited: true })).toBe(false);
    expect(matches(items[0], { ...emptyFilter(), team: '-' })).toBe(false);
  });

  it('sorts by due date, then severity, and groups by due week with a header per week', () => {
    const items = [
      card({ id: 'late', due_at: '2026-12-20T00:00:00Z' }),
      card({ id: 'soon-high', due_at: '2026-12-02T00:00:00Z' }),
      card({ id: 'soon-crit', due_at: '2026-12-02T00:00:00Z', severity: 'critical' }),
      card({ id: 'never', due_at: null }),
    ];
    const rows = backlogRows(backlogOf(items), emptyFilter(), 'due_week');
    expect(rows.map((r) => (r.kind === 'group' ? `[${r.label}]` : r.item.id))).toEqual([
      '[Due in the week of 2026-11-30]', 'soon-crit', 'soon-high',
      '[Due in the week of 2026-12-14]', 'late',
      '[No due date]', 'never',
    ]);
  });
});

describe('calendar spans', () => {
  it('starts weeks on Monday and months on the Monday before the 1st', () => {
    expect(weekOf('2026-12-01T21:00:00Z')).toBe('2026-11-30');
    expect(weekOf('2026-12-06')).toBe('2026-11-30');
    const w = span('week', '2026-12-03');
    expect(w.days).toEqual(['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']);
    expect([w.from, w.to]).toEqual(['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    const m = span('month', '2026-12-17');
    expect(m.days[0]).toBe('2026-11-30');
    expect(m.days.length).toBe(42);
    expect(shift('month', '2026-12-17', 1)).toBe('2027-01-01');
    expect(shift('week', '2026-12-28', 1)).toBe('2027-01-04');
  });
});

describe('history', () => {
  it('undoes and redoes in order, and a new step clears what was undone', async () => {
    const log: string[] = [];
    const h = new History();
    const step = (n: string) => ({ label: n, items: [n], undo: async () => void log.push(`undo ${n}`), redo: async () => void log.push(`redo ${n}`) });
    h.push(step('a'));
    h.push(step('b'));
    await h.undo();
    await h.undo();
    await h.redo();
    expect(log).toEqual(['undo b', 'undo a', 'redo a']);
    expect(h.nextRedo).toBe('b');
    h.push(step('c'));
    expect(h.canRedo).toBe(false);
    expect(h.nextUndo).toBe('c');
  });

  it('keeps a step whose undo failed, so it can be tried again', async () => {
    const h = new History();
    h.push({ label: 'x', items: [], undo: () => Promise.reject(new Error('locked')), redo: async () => {} });
    await expect(h.undo()).rejects.toThrow('locked');
    expect(h.canUndo).toBe(true);
  });
});
