import { applyDecorators } from '@nestjs/common';
import { PUBLIC_EVENT_TYPES } from '@reclaim/integrations';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn } from 'class-validator';

/**
 * A filter of public event types (webhook subscriptions, the SSE feed). Leaving it out means every
 * public type; an empty list is refused rather than read the same way, as it would deliver every
 * event, personal data included, to someone who asked for none.
 */
export const PublicEventTypes = () =>
  applyDecorators(
    IsArray({ message: 'types must be a list of public event types' }),
    ArrayNotEmpty({ message: 'types must name at least one type; leave it out for every public type' }),
    ArrayMaxSize(PUBLIC_EVENT_TYPES.length),
    // A type named twice would be listed twice on the subscription, as if it meant something more.
    ArrayUnique({ message: 'types must not name a type twice' }),
    IsIn(PUBLIC_EVENT_TYPES, { each: true, message: `types must be public event types: ${PUBLIC_EVENT_TYPES.join(', ')}` }),
  );
