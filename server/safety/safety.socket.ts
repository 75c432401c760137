// Socket commands of blocks and mutes: the same schemas and service functions as the REST routes.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { blockInputSchema, muteInputSchema } from './safety.schema.ts';
import { blockUser, muteUser, unblockUser, unmuteUser } from './safety.service.ts';

export function registerSafetyCommands(socket: PlazaSocket, deps: Deps): void {
  const { logger } = deps;
  onCommand(
    socket,
    'user:block',
    blockInputSchema,
    (input, { actor }) => blockUser(deps, actor, input),
    logger,
  );
  onCommand(
    socket,
    'user:unblock',
    blockInputSchema,
    (input, { actor }) => unblockUser(deps, actor, input),
    logger,
  );
  onCommand(socket, 'user:mute', muteInputSchema, (input, { actor }) => muteUser(deps, actor, input), logger);
  onCommand(
    socket,
    'user:unmute',
    blockInputSchema,
    (input, { actor }) => unmuteUser(deps, actor, input),
    logger,
  );
}
