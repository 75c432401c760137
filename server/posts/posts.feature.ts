// The feed (posts, comments, likes, follows) as the app and the socket server mount it: one import each.

import { commentsRoutes } from '../comments/comments.routes.ts';
import { registerCommentCommands } from '../comments/comments.socket.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { likesRoutes } from '../likes/likes.routes.ts';
import { registerLikeCommands } from '../likes/likes.socket.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { socialRoutes } from '../social/social.routes.ts';
import { registerFollowCommands } from '../social/social.socket.ts';
import { postsRoutes } from './posts.routes.ts';
import { registerPostCommands } from './posts.socket.ts';

export { feedTopics } from './posts.topics.ts';

export function feedRoutes(deps: Deps) {
  const router = createApiRouter<AppEnv>();
  router.route('/', postsRoutes(deps));
  router.route('/', likesRoutes(deps));
  router.route('/', commentsRoutes(deps));
  router.route('/', socialRoutes(deps));
  return router;
}

export function registerFeedCommands(socket: PlazaSocket, deps: Deps): void {
  registerPostCommands(socket, deps);
  registerLikeCommands(socket, deps);
  registerCommentCommands(socket, deps);
  registerFollowCommands(socket, deps);
}
