// The team hub's state in a few words, for the header (components/Hub.svelte).
import type { HubStatus, SyncChange } from './bindings';
import { count, plural } from './format';

export type Tone = 'idle' | 'ok' | 'waiting' | 'conflict' | 'offline';

/** How long ago `then` was, in words: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(then: string, now: Date): string {
  const minutes = Math.floor((now.getTime() - new Date(then).getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** The header's one line: not shared; a conflict first (it waits for a person); offline with
 * the changes waiting; else when the last sync was. */
export function summary(s: HubStatus, now: Date): { text: string; tone: Tone } {
  if (!s.url) return { text: 'Not shared', tone: 'idle' };
  if (s.conflicts > 0) return { text: plural(s.conflicts, 'conflict'), tone: 'conflict' };
  // Short: it sits in the header beside the views; the panel says the rest.
  const failedLast = s.last_attempt_at !== null && (s.last_sync_at === null || s.last_attempt_at > s.last_sync_at);
  const waiting = s.waiting > 0 ? `${count(s.waiting)} to sync` : '';
  if (failedLast) return { text: waiting ? `Offline · ${waiting}` : 'Offline', tone: 'offline' };
  if (s.last_sync_at === null) return { text: waiting || 'Not synced yet', tone: 'waiting' };
  const synced = `Synced ${ago(s.last_sync_at, now)}`;
  return { text: waiting ? `${synced} · ${waiting}` : synced, tone: s.waiting > 0 ? 'waiting' : 'ok' };
}

/** A value as people read it in a conflict: text as it is, nothing as "—". */
export function shown(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Who made one side of a conflict. */
export const who = (c: SyncChange): string => c.actor_name ?? c.actor;

/** A table's or column's name as words: 'work_item' as 'work item', 'ops_owner_id' as 'ops owner'. */
export const words = (name: string): string => name.replace(/_id$/, '').replaceAll('_', ' ');
