// A sparse cache of list rows fetched in fixed-size pages, for a virtualized list
// over a result set too large to load at once.

export type Loader<T> = (offset: number, limit: number) => Promise<{ total: number; rows: T[] }>;

export class PageCache<T> {
  total = 0;
  private pages = new Map<number, T[]>();
  private inflight = new Set<number>();
  private generation = 0;

  constructor(
    private load: Loader<T>,
    private onChange: () => void,
    readonly pageSize = 200,
  ) {}

  /** Forgets everything (new query) and loads the first page; resolves when it is in. */
  async reset(): Promise<void> {
    this.generation++;
    this.pages.clear();
    this.inflight.clear();
    await this.fetch(0);
  }

  /** The row at `index`, or undefined while its page is loading (and starts that load). */
  get(index: number): T | undefined {
    const page = Math.floor(index / this.pageSize);
    const rows = this.pages.get(page);
    if (!rows) {
      void this.fetch(page);
      return undefined;
    }
    return rows[index - page * this.pageSize];
  }

  private async fetch(page: number): Promise<void> {
    if (this.inflight.has(page) || this.pages.has(page)) return;
    const gen = this.generation;
    this.inflight.add(page);
    try {
      const res = await this.load(page * this.pageSize, this.pageSize);
      if (gen !== this.generation) return; // a newer query replaced this one
      this.total = res.total;
      this.pages.set(page, res.rows);
      this.onChange();
    } finally {
      if (gen === this.generation) this.inflight.delete(page);
    }
  }
}
