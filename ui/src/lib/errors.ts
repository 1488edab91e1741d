// A workspace command's failure as the core describes it (crates/truce-facade/src/commands.rs,
// CommandError): `code` to branch on, `message` for people, `facts` the values the message names.
import type { CommandError } from './bindings';

export class CommandFailure extends Error {
  readonly code: string;
  readonly facts: Record<string, string>;
  constructor(e: CommandError) {
    super(e.message);
    // String(failure) is the message alone, as the pages show errors.
    this.name = '';
    this.code = e.code;
    this.facts = e.facts as Record<string, string>;
  }
}

/** What a rejected `invoke` gave, as a CommandFailure when it is the core's {code, message, facts}. */
export function failure(reason: unknown): unknown {
  if (reason && typeof reason === 'object' && 'code' in reason && 'message' in reason) {
    return new CommandFailure(reason as CommandError);
  }
  return reason;
}
