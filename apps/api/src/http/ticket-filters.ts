import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { RECOVERY_REASONS } from '@reclaim/recovery';
import { TICKET_STATES } from '@reclaim/state-machines';
import { IsIn, IsOptional } from 'class-validator';

/** `reason` of a queue page, a claim or a search: the tickets filed for that reason only. */
export const ReasonFilter = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: RECOVERY_REASONS, description: 'Only the tickets filed for this reason (addition).' }),
    IsOptional(),
    IsIn(RECOVERY_REASONS, { message: `reason must be one of ${RECOVERY_REASONS.join(', ')}` }),
  );

/** `state` of a search: the tickets in that state of the lifecycle only. */
export const StateFilter = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: TICKET_STATES, description: 'Only the tickets in this state now (addition).' }),
    IsOptional(),
    IsIn(TICKET_STATES, { message: `state must be one of ${TICKET_STATES.join(', ')}` }),
  );
