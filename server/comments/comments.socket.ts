// Socket commands of comments: the same schemas and service functions as the REST routes.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { createCommentSchema, deleteCommentSchema } from './comments.schema.ts';
import { createComment, deleteComment } from './comments.service.ts';

export function registerCommentCommands(socket: PlazaSocket, deps: Deps): void {
  const { logger } = deps;
  onCommand(
    socket,
    'comment:create',
    createCommentSchema,
    (input, { actor }) => createComment(deps, actor, input),
    logger,
  );
  onCommand(
    socket,
    'comment:delete',
    deleteCommentSchema,
    (input, { actor }) => deleteComment(deps, actor, input),
    logger,
  );
}
