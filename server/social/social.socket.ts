// Socket commands of follows: the same schema and service functions as the REST routes.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { followInputSchema } from './social.schema.ts';
import { followUser, unfollowUser } from './social.service.ts';

export function registerFollowCommands(socket: PlazaSocket, deps: Deps): void {
  const { logger } = deps;
  onCommand(
    socket,
    'user:follow',
    followInputSchema,
    (input, { actor }) => followUser(deps, actor, input),
    logger,
  );
  onCommand(
    socket,
    'user:unfollow',
    followInputSchema,
    (input, { actor }) => unfollowUser(deps, actor, input),
    logger,
  );
}
