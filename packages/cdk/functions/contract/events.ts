/**
 * The connection lifecycle events (docs/contract.md "Events"): one strict schema per `detail-type`. The publisher
 * parses every detail with its schema before it leaves the function, so a field that is not in the schema (a token
 * handed over by mistake) stops the event instead of publishing it: "never token material" holds by construction.
 */
import * as z from 'zod/mini';
import {
  EVENT_DETAIL_TYPES,
  EVENT_SCHEMA_VERSION,
  EVENT_SOURCE,
  REVOCATION_REASONS,
  type ConnectedDetail,
  type EventDetailType,
  type ProviderRevocationConfirmedDetail,
  type ReauthorizationRequiredDetail,
  type RecoveredDetail,
  type RefreshFailedDetail,
  type RevokedDetail,
} from '@token-vault/client/contract';
import { APPLICATION_ID_PATTERN, USER_ID_PATTERN } from '../../src/definitions/applications';
import type { EVENT_TYPES } from '../../src/definitions/events';

export { EVENT_DETAIL_TYPES, EVENT_SCHEMA_VERSION, EVENT_SOURCE, type EventDetailType };

const iso = z.iso.datetime();
/** Codes, reasons: short printable words, never free text that could carry a value. */
const code = z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/));
const count = z.int().check(z.minimum(0));

const base = {
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
  eventId: z.uuid(),
  vault: z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,128}$/)),
  userId: z.string().check(z.regex(USER_ID_PATTERN)),
  applicationId: z.string().check(z.regex(APPLICATION_ID_PATTERN)),
  connectionId: z.nullable(z.uuid()),
  time: iso,
};

export const EVENT_DETAIL_SCHEMAS = {
  [EVENT_DETAIL_TYPES.connected]: z.strictObject({
    ...base,
    via: z.enum(['callback', 'import']),
    reconnected: z.boolean(),
    imported: z.boolean(),
    // Scope tokens only (RFC 6749 §3.3): metadata, not a credential.
    scope: z.string().check(z.maxLength(4096), z.regex(/^[\x21\x23-\x5B\x5D-\x7E ]*$/)),
  }),
  [EVENT_DETAIL_TYPES.refreshFailed]: z.strictObject({
    ...base,
    failureClass: z.enum(['rate_limited', 'provider_unavailable', 'internal_error']),
    errorCode: code,
    cooldownUntil: iso,
    consecutiveFailures: count,
    failingSince: iso,
  }),
  [EVENT_DETAIL_TYPES.reauthorizationRequired]: z.strictObject({
    ...base,
    reason: z.enum(['invalid_grant', 'refresh_token_expired', 'no_refresh_token']),
    consecutiveFailures: count,
  }),
  [EVENT_DETAIL_TYPES.recovered]: z.strictObject({ ...base, failingSince: iso, consecutiveFailures: count }),
  [EVENT_DETAIL_TYPES.revoked]: z.strictObject({
    ...base,
    reason: z.enum(REVOCATION_REASONS),
    previousStatus: z.enum(['active', 'reauthorization_required']),
    providerRevocation: z.enum(['confirmed', 'pending', 'unsupported', 'none']),
  }),
  [EVENT_DETAIL_TYPES.providerRevocationConfirmed]: z.strictObject({
    ...base,
    reason: code,
    pendingSince: iso,
    attempts: count,
  }),
} as const;

/** The detail of each type, as the schemas accept it (checked against the contract's interfaces below). */
export interface EventDetails {
  'Connection Connected': ConnectedDetail;
  'Connection Refresh Failed': RefreshFailedDetail;
  'Connection Reauthorization Required': ReauthorizationRequiredDetail;
  'Connection Recovered': RecoveredDetail;
  'Connection Revoked': RevokedDetail;
  'Provider Revocation Confirmed': ProviderRevocationConfirmedDetail;
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type EventTypesAgreement = Assert<Same<(typeof EVENT_TYPES)[number], EventDetailType>>;

type Agrees<K extends EventDetailType> = Same<z.output<(typeof EVENT_DETAIL_SCHEMAS)[K]>, Mutable<EventDetails[K]>>;
export type EventSchemaAgreement = [
  Assert<Agrees<'Connection Connected'>>,
  Assert<Agrees<'Connection Refresh Failed'>>,
  Assert<Agrees<'Connection Reauthorization Required'>>,
  Assert<Agrees<'Connection Recovered'>>,
  Assert<Agrees<'Connection Revoked'>>,
  Assert<Agrees<'Provider Revocation Confirmed'>>,
];

/** The detail, parsed strictly; undefined when it is not exactly what the schema allows. */
export function parseEventDetail(type: EventDetailType, detail: unknown): Record<string, unknown> | undefined {
  const parsed = z.safeParse(EVENT_DETAIL_SCHEMAS[type], detail);
  return parsed.success ? parsed.data : undefined;
}
