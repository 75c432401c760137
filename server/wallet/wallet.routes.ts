// REST of wallets: balance, history, one transfer, sending money, minting. Validate → service → JSON.
import { createRoute } from '@hono/zod-openapi';
import type { Actor } from '../auth/actor.ts';
import { requireActor, requireRole } from '../auth/session.middleware.ts';
import type { Deps } from '../deps.ts';
import { createApiRouter } from '../http/api.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponses, jsonBody, jsonResponse, pageOf } from '../http/openapi.ts';
import { pageQuerySchema } from '../lib/pagination.ts';
import {
  createTransferSchema,
  idempotencyHeaders,
  mintSchema,
  optionalIdempotencyHeaders,
  TransferSchema,
  transferIdParams,
  WalletSchema,
} from './wallet.schema.ts';
import { createTransfer, getTransfer, getWallet, listMyTransfers, mintMoney } from './wallet.service.ts';

const tags = ['Wallet'];
const TransferPage = pageOf(TransferSchema).openapi('TransferPage');

const wallet = createRoute({
  method: 'get',
  path: '/wallet',
  operationId: 'walletGet',
  tags,
  summary: 'My balance',
  middleware: [requireActor] as const,
  responses: { 200: jsonResponse(WalletSchema, 'The balance'), ...errorResponses(401) },
});

const history = createRoute({
  method: 'get',
  path: '/wallet/transfers',
  operationId: 'walletTransfers',
  tags,
  summary: 'My transfers, sent and received, newest first',
  middleware: [requireActor] as const,
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(TransferPage, 'A page of transfers'), ...errorResponses(401) },
});

const send = createRoute({
  method: 'post',
  path: '/transfers',
  operationId: 'walletSend',
  tags,
  summary: 'Send money; settled by a worker, idempotent by the Idempotency-Key header',
  // Anonymous callers hear 401 before any validation of their input.
  middleware: [requireActor] as const,
  request: { headers: idempotencyHeaders, body: jsonBody(createTransferSchema) },
  responses: {
    202: jsonResponse(TransferSchema, 'Recorded, pending settlement'),
    200: jsonResponse(TransferSchema, 'The same key and body again: the transfer made the first time'),
    ...errorResponses(401, 404, 409, 429),
  },
});

const read = createRoute({
  method: 'get',
  path: '/transfers/{id}',
  operationId: 'walletTransfer',
  tags,
  summary: 'One transfer (its parties only)',
  middleware: [requireActor] as const,
  request: { params: transferIdParams },
  responses: { 200: jsonResponse(TransferSchema, 'The transfer'), ...errorResponses(401, 404) },
});

const mint = createRoute({
  method: 'post',
  path: '/admin/mint',
  operationId: 'adminMint',
  tags,
  summary: 'New money from the issuer to a user (admin)',
  middleware: [requireRole('admin')] as const,
  request: { headers: optionalIdempotencyHeaders, body: jsonBody(mintSchema) },
  responses: {
    202: jsonResponse(TransferSchema, 'Recorded, pending settlement'),
    200: jsonResponse(TransferSchema, 'The same key and body again: the mint made the first time'),
    ...errorResponses(401, 403, 404, 409),
  },
});

export function walletRoutes(deps: Deps) {
  // requireActor/requireRole have run: the actor is there.
  const actorOf = (c: { var: { actor: Actor | null } }) => c.var.actor as Actor;
  const router = createApiRouter<AppEnv>();
  router.openapi(wallet, async (c) => c.json(await getWallet(deps, actorOf(c)), 200));
  router.openapi(history, async (c) =>
    c.json(await listMyTransfers(deps, actorOf(c), c.req.valid('query')), 200),
  );
  router.openapi(send, async (c) => {
    const input = { ...c.req.valid('json'), idempotencyKey: c.req.valid('header')['idempotency-key'] };
    const { transfer, created } = await createTransfer(deps, actorOf(c), input);
    return created ? c.json(transfer, 202) : c.json(transfer, 200);
  });
  router.openapi(read, async (c) =>
    c.json(await getTransfer(deps, actorOf(c), c.req.valid('param').id), 200),
  );
  router.openapi(mint, async (c) => {
    const input = { ...c.req.valid('json'), idempotencyKey: c.req.valid('header')['idempotency-key'] };
    const { transfer, created } = await mintMoney(deps, actorOf(c), input);
    return created ? c.json(transfer, 202) : c.json(transfer, 200);
  });
  return router;
}
