import type { SchemaObject } from '@nestjs/swagger';
import { CLOUD_EVENT_SOURCE, type PublicEventType } from '@reclaim/integrations';
import { EVIDENCE_OUTCOMES, RECOVERY_REASONS, RELEASE_REASONS } from '@reclaim/recovery';
import { REJECTION_REASONS } from '@reclaim/state-machines';
import { object, schemaRef, text, time, valueIn } from './answer-schemas';

/**
 * The CloudEvents integrators receive, on the feed (`GET /v1/events`) and as webhook bodies, as
 * OpenAPI schemas (`components.schemas`): the envelope, and the data of each public type. The
 * end-to-end tests check every event they receive against `CloudEvent`.
 */


/** The `data` of each public type: only these fields, picked one by one (libs/integrations/src/cloud-events.ts). */
const DATA: Record<PublicEventType, SchemaObject> = {
  'recovery.ticket.submitted.v1': object({ ticketId: text, ticketNumber: { type: 'integer' }, username: text, reason: valueIn(RECOVERY_REASONS) }),
  'recovery.ticket.assigned.v1': object({ ticketId: text, assignee: { ...text, description: 'A staff id.' } }),
  'recovery.ticket.released.v1': object({ ticketId: text, previousAssignee: text, because: valueIn(RELEASE_REASONS) }),
  'recovery.ticket.info-requested.v1': object({ ticketId: text }),
  'recovery.ticket.info-provided.v1': object({ ticketId: text }),
  'recovery.ticket.evidence-recorded.v1': object({ ticketId: text, kind: valueIn(['recovery-code', 'totp']), outcome: valueIn(EVIDENCE_OUTCOMES), via: valueIn(['submission', 'reply']) }),
  'recovery.ticket.verified.v1': object({ ticketId: text, username: text, contactEmail: { ...text, description: 'Where the platform tells the person their access is back.' }, verifiedBy: valueIn(['staff', 'system']) }),
  'recovery.ticket.rejected.v1': object({ ticketId: text, reason: valueIn(REJECTION_REASONS) }),
  'recovery.account.recovery-code-used.v1': object({ username: text, ticketId: text }),
};

/** A schema name for each type's event: `recovery.ticket.verified.v1` → `TicketVerifiedV1`. */
const nameOf = (type: string) =>
  type
    .replace(/^recovery\./, '')
    .split(/[.-]/)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

const envelope = (type: string, data: SchemaObject): SchemaObject =>
  object(
    {
      specversion: valueIn(['1.0']),
      id: { ...text, description: 'The event\'s id: the same on every delivery of it, so a receiver can drop repeats.' },
      source: valueIn([CLOUD_EVENT_SOURCE]),
      type: valueIn([type]),
      subject: { ...text, description: 'The ticket id.' },
      time,
      datacontenttype: valueIn(['application/json']),
      data,
    },
    {},
    `CloudEvents 1.0, structured JSON: ${type}.`,
  );

const perType = Object.fromEntries(Object.entries(DATA).map(([type, data]) => [nameOf(type), envelope(type, data)]));

export const EVENT_SCHEMAS: Record<string, SchemaObject> = {
  ...perType,
  CloudEvent: {
    description: 'An event as integrators receive it: one of the public types, told by `type`.',
    oneOf: Object.keys(perType).map(schemaRef),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries(Object.keys(DATA).map((type) => [type, schemaRef(nameOf(type)).$ref])) },
  },
};
