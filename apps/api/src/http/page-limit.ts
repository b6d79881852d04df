import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * `?limit=`: how many items a page holds, with the default the API's description shows (none:
 * every item). Only digits count as a number; `Number` would read "" and " " as 0 (reported as
 * "less than 1"), and "1e1" and "0x10" as numbers nobody wrote.
 */
export const PageLimit = (max: number, fallback?: number) =>
  applyDecorators(
    ApiPropertyOptional({ default: fallback, minimum: 1, maximum: max }),
    IsOptional(),
    Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value)),
    Min(1),
    Max(max),
    // Registered last, so the one reported when a value breaks several (see fieldErrors).
    IsInt({ message: 'limit must be a whole number' }),
  );
