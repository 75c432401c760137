// Per-socket command budget: a socket that floods is refused in memory, before it costs Redis or
// PostgreSQL anything, so one client cannot queue the database pool up in front of everyone else.
import { rateLimited } from '../lib/errors.ts';

/** Commands one socket may have running at once (an app may fire a page's worth together); more is a flood. */
export const MAX_IN_FLIGHT = 16;
/** Sustained commands per second per socket, with bursts up to BURST. */
export const COMMANDS_PER_SECOND = 20;
export const BURST = 40;

export class CommandBudget {
  private tokens = BURST;
  private refilledAt = Date.now();
  private inFlight = 0;

  /** Takes one command's share or throws `rate_limited`; call `release()` once that command is answered. */
  acquire(): void {
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) / 1_000) * COMMANDS_PER_SECOND);
    this.refilledAt = now;
    if (this.inFlight >= MAX_IN_FLIGHT) throw rateLimited(50);
    if (this.tokens < 1) throw rateLimited(((1 - this.tokens) / COMMANDS_PER_SECOND) * 1_000);
    this.tokens -= 1;
    this.inFlight += 1;
  }

  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }
}

const budgets = new WeakMap<object, CommandBudget>();

/** The budget of one socket, shared by all its commands. */
export function budgetOf(socket: object): CommandBudget {
  let budget = budgets.get(socket);
  if (!budget) {
    budget = new CommandBudget();
    budgets.set(socket, budget);
  }
  return budget;
}
