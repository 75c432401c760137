// Socket commands of likes: the same schema and service functions as the REST routes.
import type { Deps } from '../deps.ts';
import { likeInputSchema } from '../posts/posts.schema.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { likePost, unlikePost } from './likes.service.ts';

export function registerLikeCommands(socket: PlazaSocket, deps: Deps): void {
  const { logger } = deps;
  onCommand(socket, 'post:like', likeInputSchema, (input, { actor }) => likePost(deps, actor, input), logger);
  onCommand(
    socket,
    'post:unlike',
    likeInputSchema,
    (input, { actor }) => unlikePost(deps, actor, input),
    logger,
  );
}
