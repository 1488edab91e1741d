// The sources while the app is open: their rows (polled quickly while a job runs, else every
// minute), the schedule (a due sync is started here, whatever view is shown), and what the person
// must hear once (a scheduled sync that found no network). Overview owns one; the Sources view
// reads it.
import { call } from './api';
import type { JobKind, SourceKind, SourceRow } from './bindings';
import { offline } from './sources';

const QUICK_MS = 700;
const SLOW_MS = 60_000;

export class SourceWatch {
  rows = $state<SourceRow[]>([]);
  kinds = $state<SourceKind[]>([]);
  /** Said once, until dismissed: "Dojo could not be reached (no network?)…". */
  notice = $state<string | null>(null);
  error = $state<string | null>(null);
  now = $state(new Date());

  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private wasRunning = new Set<string>();
  private toldOffline = new Set<string>();

  /** `landed` hears a sync that ended having imported pages: the views reload. */
  constructor(private landed: () => void) {}

  start() {
    this.stopped = false;
    void this.tick();
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  get running(): boolean {
    return this.rows.some((r) => r.job?.running);
  }

  /** Reads the rows now (after a change the page made), then goes on polling. */
  async refresh() {
    try {
      const page = await call('sources', {});
      this.kinds = page.kinds;
      this.observe(page.sources);
      this.rows = page.sources;
      this.error = null;
    } catch (e) {
      this.error = String(e);
    }
    this.now = new Date();
  }

  async run(id: string, job: JobKind) {
    await call('start_source', { name: id, job });
    // Followed from its start: a job that ends before the next look is still heard.
    this.wasRunning.add(id);
    await this.refresh();
    this.soon();
  }

  private async tick() {
    if (this.stopped) return;
    await this.refresh();
    for (const r of this.rows) {
      if (r.due && !r.job?.running) {
        await call('start_source', { name: r.source.id, job: 'sync' })
          .then(() => this.wasRunning.add(r.source.id))
          .catch(() => {});
      }
    }
    if (this.rows.some((r) => r.due)) await this.refresh();
    this.soon();
  }

  private soon() {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), this.running ? QUICK_MS : SLOW_MS);
  }

  /** Jobs that ended since the last look: a sync that landed pages reloads the views; one that
   * found no network is said once (until a sync succeeds again). */
  private observe(rows: SourceRow[]) {
    for (const r of rows) {
      const id = r.source.id;
      if (r.job?.running) {
        this.wasRunning.add(id);
        continue;
      }
      if (!this.wasRunning.delete(id)) continue;
      if (r.job && r.job.kind !== 'test' && r.job.pages > 0) this.landed();
      if (r.job?.ok) this.toldOffline.delete(id);
      if (r.job && !r.job.ok && r.job.kind !== 'test' && offline(r.job.outcome) && !this.toldOffline.has(id)) {
        this.toldOffline.add(id);
        this.notice = `${r.source.name} could not be reached (no network?). Truce keeps what it has and tries again later.`;
      }
    }
  }
}
