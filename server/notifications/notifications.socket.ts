// Socket command `notification:read`: the same schema and service as POST /notifications/:id/read.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { readNotificationSchema } from './notifications.schema.ts';
import { readNotification } from './notifications.service.ts';

export function registerNotificationCommands(socket: PlazaSocket, deps: Deps): void {
  onCommand(
    socket,
    'notification:read',
    readNotificationSchema,
    (input, { actor }) => readNotification(deps, actor, input),
    deps.logger,
  );
}
