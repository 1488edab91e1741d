import { describe, expect, it } from 'vitest';
import { bytes, count, downloaded, duration, plural, shortUtc, wallTime, zonedTime } from './format';

describe('format', () => {
  it('shortens RFC 3339 UTC times and leaves other text alone', () => {
    expect(shortUtc('2026-11-23T19:52:55Z')).toBe('2026-11-23 19:52 UTC');
    expect(shortUtc('yesterday')).toBe('yesterday');
  });

  it('says sizes and download progress as people read them', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1023)).toBe('1,023 B');
    expect(bytes(12_800)).toBe('12.5 KB');
    expect(bytes(40 * 1024)).toBe('40 KB');
    expect(bytes(3_355_443)).toBe('3.2 MB');
    expect(bytes(16 * 1024 * 1024)).toBe('16 MB');
    expect(downloaded(12_800, 40 * 1024)).toBe('12.5 KB of 40 KB');
    expect(downloaded(700, null)).toBe('700 B');
  });

  it('says durations as people do', () => {
    expect(duration(240)).toBe('4 h');
    expect(duration(90)).toBe('1 h 30 min');
    expect(duration(45)).toBe('45 min');
    expect(duration(1440)).toBe('1 day');
    expect(duration(36000)).toBe('25 days');
  });

  it('counts with thousands separators, the same everywhere', () => {
    expect(count(40000)).toBe('40,000');
    expect(count(7)).toBe('7');
  });

  it('pluralises with thousands separators', () => {
    expect(plural(1, 'finding')).toBe('1 finding');
    expect(plural(14000, 'finding')).toBe('14,000 findings');
    expect(plural(2, 'asset')).toBe('2 assets');
  });
});

describe('times', () => {
  it('names the weekday of a wall time and places instants in a zone', () => {
    expect(wallTime('2026-12-01T22:00:00')).toBe('Tue 2026-12-01 22:00');
    // 21:00 UTC is 22:00 in Berlin in winter (UTC+1) and 06:00 the next day in Tokyo (UTC+9).
    expect(zonedTime('2026-12-01T21:00:00Z', 'Europe/Berlin')).toMatch(/^Tue 2026-12-01 22:00 /);
    expect(zonedTime('2026-12-01T21:00:00Z', 'Asia/Tokyo')).toMatch(/^Wed 2026-12-02 06:00 /);
  });
});
