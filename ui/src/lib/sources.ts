// A source's state in a few words, for the Sources view (components/Sources.svelte): what it is
// doing now, or how its last sync ended, and when the schedule tries next.
import type { Source, SourceJob, SourceRow } from './bindings';
import { plural } from './format';
import { ago } from './hub';

export type Phase = 'new' | 'testing' | 'syncing' | 'failed' | 'done' | 'reachable' | 'cancelled';

export type Shown = {
  phase: Phase;
  /** The headline: "Syncing…", "Last sync failed"... */
  title: string;
  /** The detail under it, in words a person can act on. */
  detail: string | null;
  /** Waiting because the API asked to slow down. */
  rateLimited: boolean;
};

/** The row as the view shows it: a running job first, then the latest job's end when it is
 * newer than the source's record, then the record (last sync, last problem), else new. */
export function shown(row: SourceRow, now: Date): Shown {
  const { source: s, job } = row;
  if (job?.running) return running(job);
  if (job && job.ok !== null && job.kind === 'test') {
    // A test says nothing of the last sync; it is shown until the next job.
    return job.ok
      ? { phase: 'reachable', title: 'Reachable', detail: job.outcome, rateLimited: false }
      : { phase: 'failed', title: 'Test failed', detail: job.outcome, rateLimited: false };
  }
  if (job && !job.running && job.cancelling) {
    return {
      phase: 'cancelled',
      title: 'Sync cancelled',
      detail: 'What it had imported stays; the next sync goes on from there.',
      rateLimited: false,
    };
  }
  if (s.last_problem) {
    const title = offline(s.last_problem) ? 'Could not reach the source' : 'Last sync failed';
    return { phase: 'failed', title, detail: failedWhen(s, now), rateLimited: false };
  }
  if (s.last_sync_at) {
    return { phase: 'done', title: `Synced ${ago(s.last_sync_at, now)}`, detail: s.last_result, rateLimited: false };
  }
  return { phase: 'new', title: 'Not synced yet', detail: 'Test the connection, then sync.', rateLimited: false };
}

function running(job: SourceJob): Shown {
  if (job.kind === 'test') {
    return { phase: 'testing', title: 'Testing the connection…', detail: job.doing, rateLimited: false };
  }
  const landed = job.pages > 0 ? `${plural(job.pages, 'page')}, ${plural(job.findings, 'finding')} so far` : null;
  const doing = job.cancelling ? 'stopping at the next wait…' : job.doing;
  return {
    phase: 'syncing',
    title: job.kind === 'full_sync' ? 'Syncing everything…' : 'Syncing…',
    detail: [landed, doing].filter(Boolean).join(' · ') || null,
    rateLimited: job.rate_limited,
  };
}

function failedWhen(s: Source, now: Date): string {
  const when = s.last_tried_at ? ` (${ago(s.last_tried_at, now)})` : '';
  return `${s.last_problem}${when}`;
}

/** When the schedule tries next, in the person's zone: "Every 4 h · next at 14:00", an hour
 * after a failure; nothing for a source synced only when asked. */
export function schedule(s: Source, now: Date): string | null {
  if (!s.every_hours) return null;
  const every = `Every ${s.every_hours === 1 ? 'hour' : `${s.every_hours} h`}`;
  if (!s.last_tried_at) return `${every} · first sync now`;
  const hours = s.last_problem ? Math.min(1, s.every_hours) : s.every_hours;
  const next = new Date(new Date(s.last_tried_at).getTime() + hours * 3_600_000);
  if (next <= now) return `${every} · due now`;
  const hh = String(next.getHours()).padStart(2, '0');
  const mm = String(next.getMinutes()).padStart(2, '0');
  return `${every} · next at ${hh}:${mm}${s.last_problem ? ' (retry)' : ''}`;
}

/** The choices of the schedule menu. */
export const EVERY: [number | null, string][] = [
  [null, 'Only when asked'],
  [1, 'Every hour'],
  [4, 'Every 4 hours'],
  [12, 'Every 12 hours'],
  [24, 'Every day'],
];

/** Whether a problem means there was no network (the schedule then says so once, and waits):
 * refused, no such host, unreachable, no answer; not a certificate or a key refused. */
export function offline(problem: string | null): boolean {
  if (!problem) return false;
  return /(connection refused|dns error|failed to lookup|network is unreachable|no route to host|did not answer in time|connect(ion)? timed out)/i.test(
    problem,
  );
}
