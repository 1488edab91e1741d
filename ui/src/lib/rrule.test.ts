import { describe, expect, it } from 'vitest';
import { buildRule, describeRule, emptyRule, parseRule } from './rrule';

describe('rrule', () => {
  it('words the simple rules and leaves the rest to the RRULE', () => {
    expect(describeRule('FREQ=WEEKLY;BYDAY=TU')).toBe('every Tuesday');
    expect(describeRule('FREQ=WEEKLY;BYDAY=MO,TH')).toBe('every Monday and Thursday');
    expect(describeRule('FREQ=WEEKLY;INTERVAL=2;BYDAY=FR')).toBe('every 2 weeks on Friday');
    expect(describeRule('FREQ=MONTHLY;BYDAY=2SU')).toBe('every month on the second Sunday');
    expect(describeRule('FREQ=MONTHLY;BYDAY=-1FR')).toBe('every month on the last Friday');
    expect(describeRule('FREQ=MONTHLY;BYMONTHDAY=15')).toBe('every month on day 15');
    expect(describeRule('FREQ=DAILY;INTERVAL=3')).toBe('every 3 days');
    expect(describeRule(null)).toBe('once');
    expect(describeRule('FREQ=WEEKLY;BYDAY=TU;COUNT=4')).toBeNull();
    expect(describeRule('FREQ=YEARLY;BYMONTH=12')).toBeNull();
  });

  it('reads a rule into the form and writes the same rule back', () => {
    for (const r of ['FREQ=WEEKLY;BYDAY=TU', 'FREQ=MONTHLY;BYDAY=2SU', 'FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1', 'FREQ=DAILY']) {
      expect(buildRule(parseRule(r))).toBe(r);
    }
    const raw = parseRule('FREQ=WEEKLY;BYDAY=TU;UNTIL=20270101T000000Z');
    expect(raw.freq).toBe('raw');
    expect(buildRule(raw)).toBe('FREQ=WEEKLY;BYDAY=TU;UNTIL=20270101T000000Z');
    expect(buildRule(emptyRule())).toBeNull();
    expect(buildRule({ ...emptyRule(), freq: 'weekly', days: ['TH', 'MO'] })).toBe('FREQ=WEEKLY;BYDAY=MO,TH');
  });
});
