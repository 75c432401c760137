// Socket commands of wallets: `transfer:create`, the same schema and service as POST /transfers.
import type { Deps } from '../deps.ts';
import { onCommand } from '../realtime/commands.ts';
import type { PlazaSocket } from '../realtime/socket-types.ts';
import { transferCommandSchema } from './wallet.schema.ts';
import { createTransfer } from './wallet.service.ts';

export function registerWalletCommands(socket: PlazaSocket, deps: Deps): void {
  onCommand(
    socket,
    'transfer:create',
    transferCommandSchema,
    async (input, { actor }) => (await createTransfer(deps, actor, input)).transfer,
    deps.logger,
  );
}
