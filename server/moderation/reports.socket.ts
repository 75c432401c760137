// The `report:create` command: the same schema, rules and answer as `POST /reports`.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { createReportSchema } from './reports.schema.ts';
import { createReport } from './reports.service.ts';

export function registerReportCommands(socket: PlazaSocket, deps: Deps): void {
  onCommand(
    socket,
    'report:create',
    createReportSchema,
    async (input, { actor }) => (await createReport(deps, actor, input)).report,
    deps.logger,
  );
}
