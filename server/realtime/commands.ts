// One wrapper for every socket command: validate with the same schema as REST, run, ack in the contract's shape.
import type { Ack, CommandName, Commands } from '@plaza/client/protocol';
import type { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { toAppError, validationFailed } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { budgetOf } from './command-budget.ts';
import type { PlazaSocket } from './socket-types.ts';

export interface CommandContext {
  socket: PlazaSocket;
  actor: Actor | null;
  logger: Logger;
}

export type CommandHandler<K extends CommandName> = (
  input: Commands[K]['input'],
  context: CommandContext,
) => Promise<Commands[K]['output']>;

export function onCommand<K extends CommandName>(
  socket: PlazaSocket,
  name: K,
  schema: z.ZodType<Commands[K]['input']>,
  handler: CommandHandler<K>,
  logger: Logger,
): void {
  const listener = async (raw: unknown, ack: unknown) => {
    // `emit(name, ack)` without a payload: the callback comes first; answer it (validation_failed).
    if (typeof raw === 'function' && ack === undefined) return listener(undefined, raw);
    // A command without an ack callback cannot be answered; the contract requires one.
    if (typeof ack !== 'function') return;
    const reply = ack as (response: Ack<Commands[K]['output']>) => void;
    const budget = budgetOf(socket);
    try {
      budget.acquire();
    } catch (error) {
      reply({ ok: false, error: toAppError(error).toBody().error });
      return;
    }
    try {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        reply({ ok: false, error: validationFailed(parsed.error.issues).toBody().error });
        return;
      }
      const data = await handler(parsed.data, { socket, actor: socket.data.actor, logger });
      reply({ ok: true, data });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'internal') {
        logger.error({ err: error, command: name, socketId: socket.id }, 'socket command failed');
      }
      reply({ ok: false, error: appError.toBody().error });
    } finally {
      budget.release();
    }
  };
  // Socket.IO's typed `on` cannot express "validate unknown input first"; the listener narrows itself.
  (socket as unknown as { on(event: string, fn: (raw: unknown, ack: unknown) => void): void }).on(
    name,
    (raw, ack) => void listener(raw, ack),
  );
}
