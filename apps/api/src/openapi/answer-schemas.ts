import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { RECOVERY_REASONS } from '@reclaim/recovery';
import { REJECTION_REASONS, TICKET_STATES } from '@reclaim/state-machines';
import { MOST_HELD_TICKETS } from '@reclaim/integrations';
import { MOST_DUPLICATES_LISTED } from '@reclaim/projections';

/**
 * What the routes answer, as OpenAPI schemas (`components.schemas`), so that a client generated
 * from /docs/openapi.json reads the answers as they are. The end-to-end tests check every answer
 * they get against these, fields and all, so that the two cannot drift apart.
 */

export const text: SchemaObject = { type: 'string' };
export const time: SchemaObject = { type: 'string', format: 'date-time' };
/** A string that is one of `values`. */
export const valueIn = (values: readonly string[]): SchemaObject => ({ type: 'string', enum: [...values] });
/** Positions and revisions are 64-bit, so decimal strings. */
const decimal: SchemaObject = { type: 'string', pattern: '^\\d+$' };
const texts: SchemaObject = { type: 'array', items: text };
/** Where a schema is defined in the document (its name is checked where this file is used). */
export const schemaRef = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: SchemaObject): SchemaObject => ({ ...schema, nullable: true });

/** An object whose listed fields are always there, and `optional` ones sometimes. */
export function object(fields: Record<string, SchemaObject | ReferenceObject>, optional: Record<string, SchemaObject | ReferenceObject> = {}, description?: string): SchemaObject {
  return { type: 'object', ...(description && { description }), required: Object.keys(fields), properties: { ...fields, ...optional } };
}

const page = (items: string, key = 'items'): SchemaObject =>
  object({ [key]: { type: 'array', items: schemaRef(items) } }, { next: { type: 'string', description: 'The cursor of the next page (`after`), while more follow.' } });

const ticketState = valueIn(TICKET_STATES);
const reason = valueIn(RECOVERY_REASONS);
const ticketClocks = {
  overdueAt: { ...time, description: 'While the SLA clock runs: when the ticket becomes overdue.' },
  noResponseAt: { ...time, description: 'While a question waits: when the ticket is rejected for no response.' },
};
const message = object({
  id: text,
  from: valueIn(['requester', 'staff', 'system']),
  kind: valueIn(['question', 'answer', 'follow-up', 'reminder']),
  body: text,
  at: time,
});
const openQuestion = object({ question: text, askedAt: time });
const actor = object({ kind: text, id: text });
const webhookTypes = nullable({ ...texts, description: 'The event types sent; null for every public type.' });

const concurrency: SchemaObject = { type: 'integer', description: "Deliveries under way at once, each of another ticket: the subscription's own, or the server's (`RECLAIM_WEBHOOK_CONCURRENCY`)." };
/** A staff member's revision, in every answer that shows them. */
const staffRevision: SchemaObject = { ...decimal, description: "Their stream's revision, moved by every change to them (a token replaced too): `If-Match` of the next change, and the `ETag` of `GET /v1/staff/{id}`." };

/** A subscription as the API shows it, with its progress (never its secret). */
const webhookFields: Record<string, SchemaObject> = {
  id: text,
  revision: { ...decimal, description: "Its stream's revision, moved by every change to it (a redelivery asked for too): `If-Match` of a `PUT` or `DELETE`, and the `ETag` of `GET /v1/webhooks/{id}`." },
  url: text,
  types: webhookTypes,
  concurrency,
  enabled: { type: 'boolean' },
  disabledReason: nullable(text),
  ownerId: text,
  createdAt: time,
  previousSecretValidUntil: nullable(time),
  secretLost: { type: 'boolean', description: 'Its secret was sealed with a secret key lost and replaced since (`replace-key --secrets-lost`): it sends nothing until given a new one (`POST /v1/webhooks/{id}/secret`).' },
  deliveredUpTo: { ...decimal, description: 'Every event up to this position is delivered, but those of the tickets held.' },
  failingAttempts: { type: 'integer', description: 'Failed attempts in a row at the event tried most often.' },
  nextAttemptAt: nullable(time),
  heldTickets: {
    type: 'array',
    description: `Tickets held back as the receiver refused an event of theirs: each ticket's events are retried in order on its own schedule, while the other tickets' go on; at most ${MOST_HELD_TICKETS} at once.`,
    items: object({ ticketId: text, heldSince: time, failingAttempts: { type: 'integer' }, nextAttemptAt: nullable(time), lastError: { ...nullable(text), description: 'Why it is held: the error of the latest attempt at it (`HTTP 400`, a timeout, …).' } }),
  },
};

export const ANSWER_SCHEMAS = {
  Problem: object(
    { type: text, title: text, status: { type: 'integer' }, detail: text },
    { errors: { type: 'array', items: object({ field: text, message: text }) } },
    'RFC 9457 problem details; `errors` names each field at fault.',
  ),
  CommandAnswer: object({ ticketId: text, state: ticketState, revision: decimal, position: decimal }),
  SubmitAnswer: object({
    ticketId: text,
    ticketNumber: { type: 'integer' },
    state: ticketState,
    accessToken: { ...text, description: 'The requester\'s token for this ticket, shown once.' },
    revision: decimal,
    position: decimal,
  }),
  StaffTicketView: object(
    {
      ticketId: text,
      ticketNumber: { type: 'integer' },
      state: ticketState,
      reason,
      submittedAt: time,
      updatedAt: time,
      revision: decimal,
      position: decimal,
      username: text,
      contactEmail: text,
      previousEmails: texts,
      explanation: text,
      packages: texts,
      accountKnown: { type: 'boolean' },
      messages: { type: 'array', items: message },
      evidence: {
        type: 'array',
        items: {
          oneOf: [
            object({ source: valueIn(['engine']), kind: valueIn(['recovery-code', 'totp']), outcome: text, via: text, at: time }),
            object({ source: valueIn(['staff']), items: texts, by: text, note: text, at: time }),
          ],
        },
      },
      notes: { type: 'array', items: object({ author: text, body: text, at: time }) },
      duplicates: { ...texts, description: `Later tickets for the same username, linked to this one, in the order filed: the first ${MOST_DUPLICATES_LISTED} (\`GET /v1/tickets?username=\` lists every one).` },
      duplicateCount: { type: 'integer', description: 'How many tickets are linked to this one, listed or not (addition).' },
      overdue: { type: 'boolean' },
      priority: valueIn(['normal', 'high']),
      approvals: { type: 'array', items: object({ approver: text, role: text, at: time }) },
    },
    {
      openQuestion,
      assignee: text,
      duplicateOf: text,
      onFile: {
        ...object({ contactEmail: { type: 'boolean' }, previousEmails: { type: 'array', items: { type: 'boolean' } }, packages: { type: 'array', items: { type: 'boolean' } } }),
        description: "Which of the request's addresses and packages the account's record held when the ticket was filed, entry by entry (`previousEmails`, `packages` in the request's order); addresses compared without case. Only for an account the directory held (`accountKnown`), on tickets filed since this was recorded.",
      },
      decision: object(
        { state: valueIn(['verified', 'rejected']), by: actor, note: text, at: time },
        { reason: valueIn(REJECTION_REASONS) },
      ),
      ...ticketClocks,
    },
  ),
  RequesterTicketView: object(
    { ticketId: text, ticketNumber: { type: 'integer' }, state: ticketState, reason, submittedAt: time, updatedAt: time, messages: { type: 'array', items: message }, revision: decimal },
    {
      openQuestion: object({ question: text, askedAt: time }, { replyBy: { ...time, description: 'When the ticket is rejected for no response, unless answered before.' } }),
      queuePosition: { type: 'integer', description: 'While submitted: 1 is next.' },
      rejectionReason: { ...valueIn(['no-response', 'withdrawn']), description: 'Rejected because the open question was not answered in time, or withdrawn by the requester; no other reason is shown to the requester.' },
    },
  ),
  TicketItem: object(
    {
      ticketId: text,
      ticketNumber: { type: 'integer' },
      state: ticketState,
      username: text,
      reason,
      submittedAt: time,
      assignee: nullable(text),
      overdue: { type: 'boolean' },
      priority: valueIn(['normal', 'high']),
    },
    ticketClocks,
  ),
  TicketPage: page('TicketItem'),
  QueueCounts: object({
    queues: {
      type: 'array',
      items: object({ queue: text, count: { type: 'integer' } }, { medianTimeToDecisionSeconds: { type: 'number', description: 'Decided queues: the median time from submission to decision.' } }),
    },
  }),
  HistoryEntry: object(
    { position: decimal, revision: decimal, type: text, occurredAt: time, recordedAt: time, actor, data: { type: 'object', additionalProperties: true } },
    { correlationId: text, causationId: text },
  ),
  History: page('HistoryEntry', 'events'),
  ActivityEntry: object(
    {
      about: object({ kind: valueIn(['ticket', 'account', 'staff']), id: text }),
      position: decimal,
      revision: decimal,
      type: text,
      occurredAt: time,
      recordedAt: time,
      actor,
      data: { type: 'object', additionalProperties: true },
    },
    { ticketId: text, correlationId: text, causationId: text },
  ),
  Activity: page('ActivityEntry', 'events'),
  AuditReport: object(
    {
      ok: { type: 'boolean' },
      streams: { type: 'integer' },
      events: { type: 'integer' },
      position: { ...decimal, description: 'The last event checked.' },
      digest: { ...text, description: 'SHA-256 chained over every event\'s hash, in log order, up to `position`.' },
    },
    { firstBroken: object({ stream: text, revision: decimal }) },
  ),
  Account: object(
    {
      username: text,
      primaryEmail: text,
      emails: texts,
      packages: texts,
      critical: { type: 'boolean' },
      frozen: { type: 'boolean' },
      recoveryCodesRemaining: { type: 'integer' },
      totpEnrolled: { type: 'boolean' },
      recoveries: { type: 'integer', description: 'How often access was restored through a ticket (addition).' },
    },
    { lastRecovery: object({ ticketId: text, at: time }) },
  ),
  AccountPage: page('Account'),
  RequesterToken: object({ ticketId: text, accessToken: { ...text, description: 'The requester\'s new token for this ticket, shown once; the one before stops working.' }, position: decimal }),
  TicketsRejected: object({ username: text, rejected: { type: 'integer', description: 'The tickets this request rejected: open when it came, and not closed meanwhile.' }, position: decimal }),
  AccountRemoved: object({ username: text, removed: { type: 'boolean' }, ticketsRejected: { type: 'integer', description: 'Its tickets this request rejected: open when it came, and not closed meanwhile.' }, position: decimal }),
  AccountsWritten: object({
    accounts: { type: 'array', items: object({ username: text, status: valueIn(['created', 'updated', 'unchanged']), position: { ...decimal, description: "The account's last event: the one this wrote, else the one before." } }) },
    position: { ...decimal, description: 'The last of the accounts\' positions: `minPosition` for a read that sees them all.' },
  }),
  AccountWritten: object({ username: text, primaryEmail: text, emails: texts, packages: texts, critical: { type: 'boolean' }, frozen: { type: 'boolean' }, position: decimal }),
  RecoveryCodes: object({ codes: { ...texts, description: 'Shown once; stored only as bcrypt hashes.' }, position: decimal }),
  CodesImported: object({ imported: { type: 'integer' }, position: decimal }),
  TotpImported: object({ imported: { type: 'boolean' }, position: decimal }),
  TotpEnrolment: object({ secret: { ...text, description: 'Base32, shown once.' }, otpauthUri: text, position: decimal }),
  Staff: object({ id: text, name: text, role: text, active: { type: 'boolean' }, createdAt: time, revision: staffRevision }, { deactivatedAt: time }),
  StaffList: object({ staff: { type: 'array', items: schemaRef('Staff') } }),
  StaffChanged: object({ id: text, name: text, role: text, active: { type: 'boolean' }, revision: staffRevision, position: decimal }),
  StaffToken: object({ id: text, name: text, role: text, active: { type: 'boolean' }, revision: staffRevision, position: decimal, token: { ...text, description: 'Shown once; stored hashed.' } }),
  Webhook: object(webhookFields),
  WebhookReplaced: object({ ...webhookFields, position: decimal }),
  WebhookList: object({ webhooks: { type: 'array', items: schemaRef('Webhook') } }),
  WebhookCreated: object({ id: text, secret: { ...text, description: 'Starts `whsec_`; shown once.' }, url: text, types: webhookTypes, concurrency, position: decimal }),
  WebhookSecret: object({ id: text, secret: { ...text, description: 'Starts `whsec_`; shown once.' }, previousSecretValidUntil: nullable(time), position: decimal }),
  WebhookEnabled: object({ id: text, enabled: { type: 'boolean' }, position: decimal }),
  WebhookDeleted: object({ id: text, deleted: { type: 'boolean' }, position: decimal }),
  EventPage: object(
    { events: { type: 'array', items: object({ position: decimal, event: schemaRef('CloudEvent') }) } },
    { next: { ...decimal, description: 'The `after` of the next page, while the log holds more.' } },
  ),
  Redelivery: object({ id: text, position: decimal, queued: { type: 'boolean' } }),
  HeldTicketSkipped: object({ id: text, ticketId: text, skippedAfter: decimal, skippedUpTo: decimal }),
  WebhookPing: object({
    id: text,
    eventId: { ...text, description: 'The ping\'s id, as `webhook-id` sent it.' },
    delivered: { type: 'boolean', description: 'Whether the receiver answered 2xx.' },
    statusCode: nullable({ type: 'integer', description: 'The receiver\'s status; null when it gave none (a network error, a timeout).' }),
    error: nullable({ ...text, description: 'Why it was not delivered, as the log of attempts says it; null when it was.' }),
    durationMs: { type: 'integer' },
  }),
  Deliveries: object({
    deliveries: {
      type: 'array',
      items: object({
        id: { type: 'integer' },
        position: decimal,
        eventId: text,
        type: text,
        ticketId: { ...nullable(text), description: 'The ticket the event is of; null on attempts recorded before 2026-11-29.' },
        attempt: { type: 'integer' },
        statusCode: nullable({ type: 'integer' }),
        error: nullable(text),
        durationMs: { type: 'integer' },
        manual: { type: 'boolean' },
        at: time,
      }),
    },
  }),
  Health: object(
    { status: text, store: valueIn(['sqlite', 'eventstoredb']), head: decimal, projections: { type: 'object', additionalProperties: decimal } },
    { lastProjectionError: { ...text, description: 'While a read model cannot apply an event: why.' } },
  ),
} satisfies Record<string, SchemaObject>;

export type AnswerSchema = keyof typeof ANSWER_SCHEMAS;
