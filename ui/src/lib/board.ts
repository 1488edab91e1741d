// The board's logic that needs no screen: which items the backlog shows, how they group,
// which days a calendar view covers, and the undo history. Unit-tested in board.test.ts.
import type { BoardOccurrence, ItemState, Severity, SlaStatus, WorkItemCard } from './bindings';
import { SEVERITIES } from './format';

export type Grouping = 'none' | 'team' | 'due_week';

export interface BacklogFilter {
  text: string;
  severities: Severity[];
  sla: SlaStatus[];
  team: string; // '' = any; '-' = no team
  owner: string; // person id; '' = any; '-' = no ops owner
  environment: string; // '' = any
  knownExploited: boolean;
}

export const emptyFilter = (): BacklogFilter => ({
  text: '',
  severities: [],
  sla: [],
  team: '',
  owner: '',
  environment: '',
  knownExploited: false,
});

/** Whether `f` narrows the backlog at all. */
export function isFiltering(f: BacklogFilter): boolean {
  return JSON.stringify(f) !== JSON.stringify(emptyFilter());
}

/** Work still to place: not on an occurrence, and not finished. */
export function inBacklog(item: WorkItemCard): boolean {
  return item.window_id === null && !(['done', 'verified'] as ItemState[]).includes(item.state);
}

export function matches(item: WorkItemCard, f: BacklogFilter): boolean {
  if (f.severities.length && !f.severities.includes(item.severity)) return false;
  if (f.sla.length && !f.sla.includes(item.sla)) return false;
  if (f.team && (f.team === '-' ? item.team_id !== null : item.team_id !== f.team)) return false;
  if (f.owner && (f.owner === '-' ? item.ops_owner !== null : item.ops_owner?.id !== f.owner)) return false;
  if (f.environment && item.environment !== f.environment) return false;
  if (f.knownExploited && !item.known_exploited) return false;
  const text = f.text.trim().toLowerCase();
  if (text) {
    const hay = searchText(item);
    if (!text.split(/\s+/).every((word) => hay.includes(word))) return false;
  }
  return true;
}

// Cards are replaced, never changed in place, so each one's search text is built once.
const haystacks = new WeakMap<WorkItemCard, string>();
function searchText(item: WorkItemCard): string {
  let hay = haystacks.get(item);
  if (hay === undefined) {
    hay = [item.title, item.action, item.team, item.environment, item.ops_owner?.name, item.security_owner?.name, item.id]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    haystacks.set(item, hay);
  }
  return hay;
}

const severityRank = (s: Severity) => SEVERITIES.indexOf(s);

/** Most urgent first: earliest due date, then most severe, then most assets, then title. */
export function byUrgency(a: WorkItemCard, b: WorkItemCard): number {
  const due = (a.due_at ?? '9999').localeCompare(b.due_at ?? '9999');
  return due || severityRank(a.severity) - severityRank(b.severity) || b.assets - a.assets || a.title.localeCompare(b.title);
}

export type Row = { kind: 'group'; key: string; label: string; count: number } | { kind: 'item'; item: WorkItemCard };

// Calendar days are the user's local days: a window at 00:30 in Berlin belongs to that night,
// whatever the date in UTC.
const pad = (n: number) => String(n).padStart(2, '0');
/** The local date of an instant, 'YYYY-MM-DD'. */
export const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
/** Local midnight of a 'YYYY-MM-DD' date. */
export const midnight = (day: string) => new Date(`${day}T00:00:00`);
const addDays = (day: string, n: number) => {
  const d = midnight(day);
  d.setDate(d.getDate() + n);
  return localDate(d);
};

/** The local Monday of the week holding an instant or a date ('2026-12-01T21:00:00Z' -> '2026-11-30' in Europe). */
export function weekOf(when: string): string {
  const d = when.length === 10 ? midnight(when) : new Date(when);
  return addDays(localDate(d), -((d.getDay() + 6) % 7));
}

/** The backlog in order of urgency (sorted once per change of the items, not per keystroke). */
export const backlogOf = (items: WorkItemCard[]) => items.filter(inBacklog).sort(byUrgency);

/** The backlog's rows from `backlogOf(items)`: filtered (keeping the order), with a header per group. */
export function backlogRows(sorted: WorkItemCard[], f: BacklogFilter, grouping: Grouping): Row[] {
  const shown = sorted.filter((i) => matches(i, f));
  if (grouping === 'none') return shown.map((item) => ({ kind: 'item', item }));
  const groups = new Map<string, { label: string; items: WorkItemCard[] }>();
  for (const item of shown) {
    const [key, label] =
      grouping === 'team'
        ? [item.team ?? '~', item.team ?? 'No team']
        : item.due_at
          ? [weekOf(item.due_at), `Due in the week of ${weekOf(item.due_at)}`]
          : ['~', 'No due date'];
    const g = groups.get(key) ?? { label, items: [] };
    g.items.push(item);
    groups.set(key, g);
  }
  const rows: Row[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    rows.push({ kind: 'group', key, label: g.label, count: g.items.length });
    for (const item of g.items) rows.push({ kind: 'item', item });
  }
  return rows;
}

/** One identity for an occurrence, as items name their place. */
export const occurrenceKey = (windowId: string, startUtc: string) => `${windowId}@${startUtc}`;
export const keyOf = (o: BoardOccurrence) => occurrenceKey(o.window_id, o.start_utc);
export const placeOf = (i: WorkItemCard) => (i.window_id && i.occurrence_start ? occurrenceKey(i.window_id, i.occurrence_start) : null);

export type View = 'week' | 'month' | 'timeline';

/** The local days a view shows around `anchor` (a date): a week, six weeks, or five; `from`
 * and `to` are the span as instants for the backend. */
export function span(view: View, anchor: string): { from: string; to: string; days: string[] } {
  let start = weekOf(anchor);
  let count = 7;
  if (view === 'month') {
    start = weekOf(anchor.slice(0, 8) + '01');
    count = 42;
  } else if (view === 'timeline') {
    count = 35;
  }
  const days = Array.from({ length: count }, (_, i) => addDays(start, i));
  return { from: midnight(days[0]).toISOString(), to: midnight(addDays(start, count)).toISOString(), days };
}

/** Moves the anchor by one page of the view. */
export function shift(view: View, anchor: string, by: number): string {
  if (view === 'month') {
    const d = midnight(anchor.slice(0, 8) + '01');
    d.setMonth(d.getMonth() + by);
    return localDate(d);
  }
  return addDays(anchor, by * (view === 'week' ? 7 : 35));
}

/** Whether an occurrence covers any part of local day `day`. */
export function covers(o: BoardOccurrence, day: string): boolean {
  return Date.parse(o.start_utc) < midnight(addDays(day, 1)).getTime() && Date.parse(o.end_utc) > midnight(day).getTime();
}

/** The local day an occurrence starts on. */
export const dayOf = (o: BoardOccurrence) => localDate(new Date(o.start_utc));

/** '22:00' in the user's zone. */
export const localTime = (iso: string) => {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/** One step of the undo history: what was done, and how to take it back or do it again. */
export interface Step {
  label: string;
  /** The work items it changes: what to redraw after it is undone or redone. */
  items: string[];
  undo: () => Promise<void>;
  redo: () => Promise<void>;
}

export class History {
  private done: Step[] = [];
  private undone: Step[] = [];
  constructor(private readonly changed: () => void = () => {}) {}

  push(step: Step) {
    this.done.push(step);
    this.undone = [];
    this.changed();
  }
  get canUndo() {
    return this.done.length > 0;
  }
  get canRedo() {
    return this.undone.length > 0;
  }
  get peekUndo(): Step | undefined {
    return this.done.at(-1);
  }
  get peekRedo(): Step | undefined {
    return this.undone.at(-1);
  }
  get nextUndo(): string | null {
    return this.done.at(-1)?.label ?? null;
  }
  get nextRedo(): string | null {
    return this.undone.at(-1)?.label ?? null;
  }
  async undo() {
    const step = this.done.pop();
    if (!step) return;
    try {
      await step.undo();
      this.undone.push(step);
    } catch (e) {
      this.done.push(step);
      throw e;
    } finally {
      this.changed();
    }
  }
  async redo() {
    const step = this.undone.pop();
    if (!step) return;
    try {
      await step.redo();
      this.done.push(step);
    } catch (e) {
      this.undone.push(step);
      throw e;
    } finally {
      this.changed();
    }
  }
}
