import type { SchemaObject } from '@nestjs/swagger';
import { CLOUD_EVENT_SOURCE, type PublicEventType } from '@reclaim/integrations';
import { RECOVERY_REASONS } from '@reclaim/recovery';
import { REJECTION_REASONS } from '@reclaim/state-machines';
import { schemaRef } from './answer-schemas';

/**
 * The CloudEvents integrators receive, on the feed (`GET /v1/events`) and as webhook bodies, as
 * OpenAPI schemas (`components.schemas`): the envelope, and the data of each public type. The
 * end-to-end tests check every event they receive against `CloudEvent`.
 */

const text: SchemaObject = { type: 'string' };
const oneOf = (values: readonly string[]): SchemaObject => ({ type: 'string', enum: [...values] });
const data = (fields: Record<string, SchemaObject>): SchemaObject => ({ type: 'object', required: Object.keys(fields), properties: fields });
const outcome = oneOf(['accepted', 'rejected', 'already-used', 'replayed', 'not-enrolled', 'rate-limited']);

/** The `data` of each public type: only these fields, picked one by one (libs/integrations/src/cloud-events.ts). */
const DATA: Record<PublicEventType, SchemaObject> = {
  'recovery.ticket.submitted.v1': data({ ticketId: text, ticketNumber: { type: 'integer' }, username: text, reason: oneOf(RECOVERY_REASONS) }),
  'recovery.ticket.assigned.v1': data({ ticketId: text, assignee: { ...text, description: 'A staff id.' } }),
  'recovery.ticket.released.v1': data({ ticketId: text, previousAssignee: text, because: oneOf(['handed-back', 'assignee-deactivated']) }),
  'recovery.ticket.info-requested.v1': data({ ticketId: text }),
  'recovery.ticket.info-provided.v1': data({ ticketId: text }),
  'recovery.ticket.evidence-recorded.v1': data({ ticketId: text, kind: oneOf(['recovery-code', 'totp']), outcome, via: oneOf(['submission', 'reply']) }),
  'recovery.ticket.verified.v1': data({ ticketId: text, username: text, contactEmail: { ...text, description: 'Where the platform tells the person their access is back.' }, verifiedBy: oneOf(['staff', 'system']) }),
  'recovery.ticket.rejected.v1': data({ ticketId: text, reason: oneOf(REJECTION_REASONS) }),
  'recovery.account.recovery-code-used.v1': data({ username: text, ticketId: text }),
};

/** A schema name for each type's event: `recovery.ticket.verified.v1` → `TicketVerifiedV1`. */
const nameOf = (type: string) =>
  type
    .replace(/^recovery\./, '')
    .split(/[.-]/)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

const envelope = (type: string, eventData: SchemaObject): SchemaObject => ({
  type: 'object',
  description: `CloudEvents 1.0, structured JSON: ${type}.`,
  required: ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'data'],
  properties: {
    specversion: oneOf(['1.0']),
    id: { ...text, description: 'The event\'s id: the same on every delivery of it, so a receiver can drop repeats.' },
    source: oneOf([CLOUD_EVENT_SOURCE]),
    type: oneOf([type]),
    subject: { ...text, description: 'The ticket id.' },
    time: { type: 'string', format: 'date-time' },
    datacontenttype: oneOf(['application/json']),
    data: eventData,
  },
});

const perType = Object.fromEntries(Object.entries(DATA).map(([type, eventData]) => [nameOf(type), envelope(type, eventData)]));

export const EVENT_SCHEMAS: Record<string, SchemaObject> = {
  ...perType,
  CloudEvent: {
    description: 'An event as integrators receive it: one of the public types, told by `type`.',
    oneOf: Object.keys(perType).map(schemaRef),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries(Object.keys(DATA).map((type) => [type, schemaRef(nameOf(type)).$ref])) },
  },
};
