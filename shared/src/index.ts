/*
 * Browser-safe part of the contract. The zod schemas live in `schemas.ts` and are imported
 * by the server directly, so the SDK bundle does not carry zod.
 */
export * from './http-paths.ts';
export * from './local-address.ts';
export * from './payloads.ts';
export type * from './protocol.ts';
export * from './result-codes.ts';
export type * from './schemas.ts';
export * from './timing.ts';
export * from './tsdk.ts';
