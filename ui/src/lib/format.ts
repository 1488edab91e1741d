import type { Severity } from './bindings';

export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** '2026-11-23T19:52:55Z' -> '2026-11-23 19:52 UTC'; leaves anything else as it is. */
export function shortUtc(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(rfc3339);
  return m ? `${m[1]} ${m[2]} UTC` : rfc3339;
}

/** A duration in minutes as people say it: '4 h', '1 h 30 min', '25 days'. */
export function duration(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** A count as people read it: 100,000, everywhere a number is shown. */
export const count = (n: number): string => n.toLocaleString('en');

/** A size in bytes as people read it: '512 B', '12.5 KB', '3.2 MB' (1 KB = 1,024 bytes). */
export function bytes(n: number): string {
  if (n < 1024) return `${count(n)} B`;
  const [value, unit] = n < 1024 * 1024 ? [n / 1024, 'KB'] : [n / (1024 * 1024), 'MB'];
  const shown = value < 100 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value).toLocaleString('en');
  return `${shown} ${unit}`;
}

/** How far a download has come: '12.5 KB of 40 KB', or '12.5 KB' when the size is unknown. */
export function downloaded(received: number, total: number | null): string {
  return total === null ? bytes(received) : `${bytes(received)} of ${bytes(total)}`;
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** A wall time 'YYYY-MM-DDTHH:MM[:SS]' as 'Tue 2026-12-01 22:00' (no zone arithmetic). */
export function wallTime(local: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(local);
  if (!m) return local;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay();
  return `${WEEKDAY[day]} ${m[1]}-${m[2]}-${m[3]} ${m[4]}`;
}

/** An instant (RFC 3339) as wall time in `zone`, same shape as `wallTime`, with the zone's short name. */
export function zonedTime(instant: string, zone: string): string {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23', timeZoneName: 'short',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return `${wallTime(`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`)} ${p.timeZoneName}`;
}
