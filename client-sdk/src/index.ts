// @plaza/client: typed access to a Plaza server — REST and live pushes.
export * from './live.ts';
export type * from './protocol.ts';
export { PUSH_TYPES, SEQ_HEADER } from './protocol.ts';
