import { describe, expect, it, vi } from 'vitest';
import { PageCache } from './pages';

function source(total: number) {
  const calls: Array<[number, number]> = [];
  const load = vi.fn(async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    const rows = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => `row${offset + i}`);
    return { total, rows };
  });
  return { load, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('PageCache', () => {
  it('loads the first page on reset and answers from it', async () => {
    const { load, calls } = source(450);
    const cache = new PageCache(load, () => {}, 200);
    await cache.reset();
    expect(cache.total).toBe(450);
    expect(cache.get(0)).toBe('row0');
    expect(cache.get(199)).toBe('row199');
    expect(calls).toEqual([[0, 200]]);
  });

  it('fetches a missing page once, however often its rows are asked for', async () => {
    const { load, calls } = source(450);
    const changed = vi.fn();
    const cache = new PageCache(load, changed, 200);
    await cache.reset();
    expect(cache.get(420)).toBeUndefined();
    expect(cache.get(430)).toBeUndefined();
    await settle();
    expect(cache.get(449)).toBe('row449');
    expect(calls).toEqual([[0, 200], [400, 200]]);
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it('drops answers to a query that a newer one replaced', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => (release = r));
    let query = 'old';
    const cache = new PageCache(
      async (offset) => {
        const q = query;
        if (q === 'old' && offset > 0) await slow;
        return { total: q === 'old' ? 1000 : 3, rows: [`${q}${offset}`] };
      },
      () => {},
      1,
    );
    await cache.reset();
    cache.get(5); // starts a slow load for the old query
    query = 'new';
    await cache.reset();
    release();
    await settle();
    expect(cache.total).toBe(3);
    expect(cache.get(0)).toBe('new0');
  });
});
