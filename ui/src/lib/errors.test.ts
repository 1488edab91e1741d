import { describe, expect, it } from 'vitest';
import { CommandFailure, failure } from './errors';

describe('failure', () => {
  it('turns the core error object into a failure that reads as its message and keeps its code', () => {
    const f = failure({ code: 'locked', message: 'w.truce: the workspace is locked', facts: { path: 'w.truce' } });
    expect(f).toBeInstanceOf(CommandFailure);
    expect(String(f)).toBe('w.truce: the workspace is locked');
    expect((f as CommandFailure).code).toBe('locked');
    expect((f as CommandFailure).facts.path).toBe('w.truce');
  });

  it('leaves anything else as it was', () => {
    expect(failure('no workspace is open')).toBe('no workspace is open');
  });
});
