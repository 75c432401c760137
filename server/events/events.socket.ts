// Socket commands of events: the same schema and the same service as PUT/DELETE /events/:id/participation.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { joinEvent, leaveEvent } from './events.participation.ts';
import { participationInputSchema } from './events.schema.ts';

export function registerEventCommands(socket: PlazaSocket, deps: Deps): void {
  onCommand(
    socket,
    'event:join',
    participationInputSchema,
    (input, { actor }) => joinEvent(deps, actor, input),
    deps.logger,
  );
  onCommand(
    socket,
    'event:leave',
    participationInputSchema,
    (input, { actor }) => leaveEvent(deps, actor, input),
    deps.logger,
  );
}
