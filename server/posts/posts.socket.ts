// Socket commands of posts: the same schemas and service functions as the REST routes.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { createPostSchema, deletePostSchema, updatePostSchema } from './posts.schema.ts';
import { createPost, deletePost, updatePost } from './posts.service.ts';

export function registerPostCommands(socket: PlazaSocket, deps: Deps): void {
  const { logger } = deps;
  onCommand(
    socket,
    'post:create',
    createPostSchema,
    (input, { actor }) => createPost(deps, actor, input),
    logger,
  );
  onCommand(
    socket,
    'post:update',
    updatePostSchema,
    (input, { actor }) => updatePost(deps, actor, input),
    logger,
  );
  onCommand(
    socket,
    'post:delete',
    deletePostSchema,
    (input, { actor }) => deletePost(deps, actor, input),
    logger,
  );
}
