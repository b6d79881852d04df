import { ApiPropertyOptional } from '@nestjs/swagger';
import { decodeCursor } from '@reclaim/projections';
import { IsOptional, IsString } from 'class-validator';
import { PageLimit } from './page-limit';
import { fieldProblem, ProblemError } from './problem';

const DEFAULT_LIMIT = 50;

/** `?limit=&after=` of a list in log order: a queue, the tickets found, a staff member's activity. */
export class CursorPageQuery {
  @PageLimit(200, DEFAULT_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page.' })
  @IsOptional()
  @IsString()
  after?: string;
}

/**
 * The page asked for: its size (the default when not given) and its cursor read back (none for
 * the first page); a cursor that is not one is refused.
 */
export function requestedPage({ limit = DEFAULT_LIMIT, after }: CursorPageQuery): { limit: number; after?: number } {
  if (after === undefined) return { limit };
  const cursor = decodeCursor(after);
  if (cursor === undefined) throw new ProblemError(fieldProblem(400, 'Invalid after.', 'after', 'must be the next cursor of a previous page'));
  return { limit, after: cursor };
}
