import { describe, expect, it } from 'vitest';
import { duration, plural, shortUtc } from './format';

describe('format', () => {
  it('shortens RFC 3339 UTC times and leaves other text alone', () => {
    expect(shortUtc('2026-11-23T19:52:55Z')).toBe('2026-11-23 19:52 UTC');
    expect(shortUtc('yesterday')).toBe('yesterday');
  });

  it('says durations as people do', () => {
    expect(duration(240)).toBe('4 h');
    expect(duration(90)).toBe('1 h 30 min');
    expect(duration(45)).toBe('45 min');
    expect(duration(1440)).toBe('1 day');
    expect(duration(36000)).toBe('25 days');
  });

  it('pluralises with thousands separators', () => {
    expect(plural(1, 'finding')).toBe('1 finding');
    expect(plural(14000, 'finding')).toBe('14,000 findings');
    expect(plural(2, 'asset')).toBe('2 assets');
  });
});
