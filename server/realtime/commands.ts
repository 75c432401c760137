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

interface Command {
  name: CommandName;
  schema: z.ZodType<unknown>;
  handler: (input: unknown, context: CommandContext) => Promise<unknown>;
  logger: Logger;
}

/**
 * The commands of one socket server, registered once and shared by all its sockets. Registering them on
 * each socket cost ~17 listeners per connection (two closures each, plus an event map in dictionary mode):
 * several KiB per idle socket. A socket now carries one `onAny` listener that looks its command up here.
 */
export class CommandTable {
  private readonly commands = new Map<string, Command>();

  private readonly actorOf: ActorOf | undefined;

  /** `actorOf` gives each command its actor (see socketActorRefresher); without it, the handshake's. */
  constructor(actorOf?: ActorOf) {
    this.actorOf = actorOf;
  }

  /**
   * What feature `register…Commands(socket, deps)` functions are given so that their `onCommand(socket, …)`
   * calls land in this table. It is not a socket: pass it to `onCommand` and nothing else (handlers get the
   * real socket in their context).
   */
  get registrar(): PlazaSocket {
    return this as unknown as PlazaSocket;
  }

  add<K extends CommandName>(
    name: K,
    schema: z.ZodType<Commands[K]['input']>,
    handler: CommandHandler<K>,
    logger: Logger,
  ): void {
    if (this.commands.has(name)) throw new Error(`socket command ${name} registered twice`);
    this.commands.set(name, { name, schema, handler: handler as Command['handler'], logger });
  }

  /** Routes the socket's incoming events to their commands; events that name none are ignored, as before. */
  attach(socket: PlazaSocket): void {
    socket.onAny((event: unknown, raw: unknown, ack: unknown) => {
      const command = typeof event === 'string' ? this.commands.get(event) : undefined;
      if (command) void runCommand(socket, command, raw, ack, this.actorOf);
    });
  }
}

type ActorOf = (socket: PlazaSocket) => Promise<Actor | null>;

async function runCommand(
  socket: PlazaSocket,
  command: Command,
  raw: unknown,
  ack: unknown,
  actorOf?: ActorOf,
): Promise<void> {
  // `emit(name, ack)` without a payload: the callback comes first; answer it (validation_failed).
  if (typeof raw === 'function' && ack === undefined)
    return runCommand(socket, command, undefined, raw, actorOf);
  // A command without an ack callback cannot be answered; the contract requires one.
  if (typeof ack !== 'function') return;
  const reply = ack as (response: Ack<unknown>) => void;
  const budget = budgetOf(socket);
  try {
    budget.acquire();
  } catch (error) {
    reply({ ok: false, error: toAppError(error).toBody().error });
    return;
  }
  const { logger } = command;
  try {
    const parsed = command.schema.safeParse(raw);
    if (!parsed.success) {
      reply({ ok: false, error: validationFailed(parsed.error.issues).toBody().error });
      return;
    }
    const actor = actorOf ? await actorOf(socket) : socket.data.actor;
    const data = await command.handler(parsed.data, { socket, actor, logger });
    reply({ ok: true, data });
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'internal') {
      logger.error({ err: error, command: command.name, socketId: socket.id }, 'socket command failed');
    }
    reply({ ok: false, error: appError.toBody().error });
  } finally {
    budget.release();
  }
}

/**
 * Registers a command: on a server's `CommandTable.registrar` (every socket of that server), or on one
 * socket (its own listener).
 */
export function onCommand<K extends CommandName>(
  socket: PlazaSocket,
  name: K,
  schema: z.ZodType<Commands[K]['input']>,
  handler: CommandHandler<K>,
  logger: Logger,
): void {
  const target: unknown = socket;
  if (target instanceof CommandTable) {
    target.add(name, schema, handler, logger);
    return;
  }
  const command: Command = { name, schema, handler: handler as Command['handler'], logger };
  // Socket.IO's typed `on` cannot express "validate unknown input first"; the command narrows itself.
  (socket as unknown as { on(event: string, fn: (raw: unknown, ack: unknown) => void): void }).on(
    name,
    (raw, ack) => void runCommand(socket, command, raw, ack),
  );
}
