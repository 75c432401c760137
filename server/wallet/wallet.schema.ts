// Inputs and wire objects of wallets and transfers (REST and socket share these).
import { z } from '@hono/zod-openapi';
import { orNull } from '../http/openapi.ts';
import { UserRefSchema } from '../social/social.schema.ts';

export const MAX_TRANSFER_CENTS = 1_000_000_000;
export const MAX_MEMO_LENGTH = 200;

const amountCentsSchema = z.number().int().min(1).max(MAX_TRANSFER_CENTS).openapi({ example: 1250 });
const memoSchema = z.string().max(MAX_MEMO_LENGTH).optional().openapi({ example: 'Pizza' });
export const idempotencyKeySchema = z.string().min(1).max(100);

export const createTransferSchema = z
  .object({
    to: z.string().min(1).max(30).openapi({ description: 'Recipient username', example: 'ada' }),
    amountCents: amountCentsSchema,
    memo: memoSchema,
  })
  .openapi('CreateTransfer');
export type CreateTransferInput = z.infer<typeof createTransferSchema>;

/** `transfer:create`: the REST body plus the key REST takes from the Idempotency-Key header. */
export const transferCommandSchema = createTransferSchema.extend({ idempotencyKey: idempotencyKeySchema });

export const mintSchema = z
  .object({
    username: z.string().min(1).max(30).openapi({ example: 'ada' }),
    amountCents: amountCentsSchema,
    memo: memoSchema,
  })
  .openapi('Mint');
export type MintInput = z.infer<typeof mintSchema>;

export const idempotencyHeaders = z.object({
  'idempotency-key': idempotencyKeySchema.openapi({
    param: { name: 'idempotency-key', in: 'header' },
    description:
      'Client-chosen key (1..100 characters): the same key and body again returns the same transfer',
  }),
});

export const optionalIdempotencyHeaders = z.object({
  'idempotency-key': idempotencyKeySchema.optional().openapi({
    param: { name: 'idempotency-key', in: 'header' },
    description: 'Optional for mints: the same key and body again returns the same transfer',
  }),
});

export const transferIdParams = z.object({
  id: z
    .string()
    .openapi({ param: { name: 'id', in: 'path' }, example: '01890a5d-ac96-774b-bcce-b302099a8057' }),
});

export const TransferSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['transfer', 'event_ticket', 'refund', 'mint']),
    from: orNull(UserRefSchema),
    to: UserRefSchema,
    amountCents: z.number().int(),
    memo: z.string(),
    status: z.enum(['pending', 'completed', 'failed']),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('Transfer');

export const WalletSchema = z
  .object({
    balanceCents: z.number().int(),
    heldCents: z.number().int().openapi({
      description:
        'Part of the balance not spendable yet: ticket money of your events that have not ended (refunds are paid from it)',
    }),
    currency: z.string().openapi({ example: 'EUR' }),
  })
  .openapi('Wallet');
