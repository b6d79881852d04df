import type { SchemaObject } from '@nestjs/swagger';
import { CLOUD_EVENT_SOURCE, PING_EVENT_TYPE, type PublicEventType } from '@reclaim/integrations';
import { EVIDENCE_OUTCOMES, RECOVERY_REASONS, RELEASE_REASONS } from '@reclaim/recovery';
import { REJECTION_REASONS } from '@reclaim/state-machines';
import { object, schemaRef, text, time, valueIn } from './answer-schemas';

/**
 * The CloudEvents integrators receive, on the feed (`GET /v1/events`) and as webhook bodies, as
 * OpenAPI schemas (`components.schemas`): the envelope, and the data of each public type. The
 * end-to-end tests check every event they receive against `CloudEvent`.
 */


/** The requester's contact address, where the platform tells them … */
const contact = (what: string): SchemaObject => ({ ...text, description: `The contact address the requester gave, where the platform tells them ${what}.` });
const contactSince = (what: string): SchemaObject => ({ ...contact(what), description: `${contact(what).description} Left out on events recorded before 2026-11-29.` });

/** The `data` of each public type: only these fields, picked one by one (libs/integrations/src/cloud-events.ts). */
const DATA: Record<PublicEventType, SchemaObject> = {
  'recovery.ticket.submitted.v1': object({ ticketId: text, ticketNumber: { type: 'integer' }, username: text, reason: valueIn(RECOVERY_REASONS), contactEmail: contact('that the request was received, and its number') }),
  'recovery.ticket.assigned.v1': object({ ticketId: text, assignee: { ...text, description: 'A staff id.' } }),
  'recovery.ticket.released.v1': object({ ticketId: text, previousAssignee: text, because: valueIn(RELEASE_REASONS) }),
  'recovery.ticket.info-requested.v1': object({ ticketId: text }, { contactEmail: contactSince('that a question waits for their answer') }),
  'recovery.ticket.reminded.v1': object(
    { ticketId: text, replyBy: { ...time, description: 'When the ticket is rejected for no response unless the question is answered (by `RECLAIM_REPLY_TIMEOUT` as it was when the reminder was sent).' } },
    { contactEmail: contactSince('that the question still waits, and by when to answer') },
  ),
  'recovery.ticket.info-provided.v1': object({ ticketId: text }),
  'recovery.ticket.evidence-recorded.v1': object({ ticketId: text, kind: valueIn(['recovery-code', 'totp']), outcome: valueIn(EVIDENCE_OUTCOMES), via: valueIn(['submission', 'reply']) }),
  'recovery.ticket.verified.v1': object({ ticketId: text, username: text, contactEmail: contact('that their access is back'), verifiedBy: valueIn(['staff', 'system']) }),
  'recovery.ticket.rejected.v1': object(
    { ticketId: text, reason: valueIn(REJECTION_REASONS), rejectedBy: { ...valueIn(['staff', 'system', 'requester']), description: '`requester`: they withdrew it themselves.' } },
    { contactEmail: contactSince('that the request was not granted (the reason is for the platform: tell them only `no-response`), or, rejected by the requester, that it was withdrawn') },
  ),
  'recovery.account.recovery-code-used.v1': object({ username: text, ticketId: text }),
};

/** A schema name for each type's event: `recovery.ticket.verified.v1` → `TicketVerifiedV1`. */
const nameOf = (type: string) =>
  type
    .replace(/^recovery\./, '')
    .split(/[.-]/)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

const envelope = (type: string, data: SchemaObject, subject = 'The ticket id.'): SchemaObject =>
  object(
    {
      specversion: valueIn(['1.0']),
      id: { ...text, description: 'The event\'s id: the same on every delivery of it, so a receiver can drop repeats.' },
      source: valueIn([CLOUD_EVENT_SOURCE]),
      type: valueIn([type]),
      subject: { ...text, description: subject },
      time,
      datacontenttype: valueIn(['application/json']),
      data,
    },
    {},
    `CloudEvents 1.0, structured JSON: ${type}.`,
  );

const perType = Object.fromEntries(Object.entries(DATA).map(([type, data]) => [nameOf(type), envelope(type, data)]));

/** A ping (`POST /v1/webhooks/{id}/ping`), received like an event but of no ticket. */
const ping = envelope(PING_EVENT_TYPE, object({ webhookId: text }), 'The webhook\'s id.');

export const EVENT_SCHEMAS: Record<string, SchemaObject> = {
  ...perType,
  [nameOf(PING_EVENT_TYPE)]: ping,
  CloudEvent: {
    description: 'An event as integrators receive it: one of the public types, told by `type`, or a ping a webhook was sent on request.',
    oneOf: [...Object.keys(perType), nameOf(PING_EVENT_TYPE)].map(schemaRef),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries([...Object.keys(DATA), PING_EVENT_TYPE].map((type) => [type, schemaRef(nameOf(type)).$ref])) },
  },
};
