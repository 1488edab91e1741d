// RRULEs as the Windows view edits and says them. The core checks and expands rules; this only
// turns the few shapes people pick from a form into RFC 5545 text and back, and words them.

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const DAY_NAMES: Record<Weekday, string> = {
  MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday',
};
export const dayName = (d: Weekday) => DAY_NAMES[d];
const ORDINALS: Record<string, string> = { '1': 'first', '2': 'second', '3': 'third', '4': 'fourth', '5': 'fifth', '-1': 'last' };
export const NTH_CHOICES: [number, string][] = [[1, 'first'], [2, 'second'], [3, 'third'], [4, 'fourth'], [-1, 'last']];

/** The form's model of a rule: one of the simple shapes, or the raw text for experts. */
export type RuleForm = {
  freq: 'none' | 'daily' | 'weekly' | 'monthly' | 'raw';
  interval: number;
  /** Weekly: on these days (empty: the first start's weekday). */
  days: Weekday[];
  /** Monthly: the nth weekday ('nth') or a day of the month ('day'). */
  monthly: 'nth' | 'day';
  nth: number;
  weekday: Weekday;
  monthDay: number;
  raw: string;
};

export const emptyRule = (): RuleForm => ({
  freq: 'none', interval: 1, days: [], monthly: 'nth', nth: 1, weekday: 'TU', monthDay: 1, raw: '',
});

function parts(rule: string): Map<string, string> | null {
  const m = new Map<string, string>();
  for (const p of rule.trim().replace(/^RRULE:/i, '').split(';')) {
    if (!p) continue;
    const [k, v, ...rest] = p.split('=');
    if (v === undefined || rest.length) return null;
    m.set(k.toUpperCase(), v.toUpperCase());
  }
  return m;
}

const isDay = (s: string): s is Weekday => (WEEKDAYS as readonly string[]).includes(s);

/** The form for a stored rule: a simple shape when it is one, else the raw text. */
export function parseRule(rule: string | null): RuleForm {
  const f = emptyRule();
  if (!rule || !rule.trim()) return f;
  const raw = { ...f, freq: 'raw' as const, raw: rule.trim() };
  const p = parts(rule);
  if (!p) return raw;
  const keys = [...p.keys()];
  if (keys.some((k) => !['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY'].includes(k))) return raw;
  const interval = p.has('INTERVAL') ? Number(p.get('INTERVAL')) : 1;
  if (!Number.isInteger(interval) || interval < 1) return raw;
  f.interval = interval;
  const byday = p.get('BYDAY');
  switch (p.get('FREQ')) {
    case 'DAILY':
      if (byday || p.has('BYMONTHDAY')) return raw;
      return { ...f, freq: 'daily' };
    case 'WEEKLY': {
      if (p.has('BYMONTHDAY')) return raw;
      const days = byday ? byday.split(',') : [];
      if (!days.every(isDay)) return raw;
      return { ...f, freq: 'weekly', days: WEEKDAYS.filter((d) => days.includes(d)) };
    }
    case 'MONTHLY': {
      if (byday && p.has('BYMONTHDAY')) return raw;
      if (byday) {
        const m = /^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$/.exec(byday);
        if (!m || !(String(Number(m[1])) in ORDINALS)) return raw;
        return { ...f, freq: 'monthly', monthly: 'nth', nth: Number(m[1]), weekday: m[2] as Weekday };
      }
      const day = Number(p.get('BYMONTHDAY') ?? 'x');
      if (!Number.isInteger(day) || day < 1 || day > 31) return raw;
      return { ...f, freq: 'monthly', monthly: 'day', monthDay: day };
    }
    default:
      return raw;
  }
}

/** The RRULE text of a form; null for a single occurrence. */
export function buildRule(f: RuleForm): string | null {
  const every = f.interval > 1 ? `;INTERVAL=${f.interval}` : '';
  switch (f.freq) {
    case 'none':
      return null;
    case 'raw':
      return f.raw.trim().replace(/^RRULE:/i, '') || null;
    case 'daily':
      return `FREQ=DAILY${every}`;
    case 'weekly':
      return `FREQ=WEEKLY${every}${f.days.length ? `;BYDAY=${WEEKDAYS.filter((d) => f.days.includes(d)).join(',')}` : ''}`;
    case 'monthly':
      return f.monthly === 'nth'
        ? `FREQ=MONTHLY${every};BYDAY=${f.nth}${f.weekday}`
        : `FREQ=MONTHLY${every};BYMONTHDAY=${f.monthDay}`;
  }
}

function list(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** A rule in words when it is a simple one ('every Tuesday'); null when only the RRULE says it. */
export function describeRule(rule: string | null): string | null {
  if (!rule) return 'once';
  const f = parseRule(rule);
  const n = f.interval;
  switch (f.freq) {
    case 'daily':
      return n === 1 ? 'every day' : `every ${n} days`;
    case 'weekly': {
      const days = list(f.days.map(dayName));
      if (n === 1) return days ? `every ${days}` : 'every week';
      return `every ${n} weeks${days ? ` on ${days}` : ''}`;
    }
    case 'monthly': {
      const on = f.monthly === 'nth' ? `the ${ORDINALS[String(f.nth)]} ${dayName(f.weekday)}` : `day ${f.monthDay}`;
      return n === 1 ? `every month on ${on}` : `every ${n} months on ${on}`;
    }
    default:
      return null;
  }
}
