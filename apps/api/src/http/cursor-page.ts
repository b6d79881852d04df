import { ApiPropertyOptional } from '@nestjs/swagger';
import { decodeCursor } from '@reclaim/projections';
import { IsOptional, IsString } from 'class-validator';
import { PageLimit } from './page-limit';
import { fieldProblem, ProblemError } from './problem';

/** `?limit=&after=` of a list in log order: a queue, the tickets found, a staff member's activity. */
export class CursorPageQuery {
  @PageLimit(200, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page.' })
  @IsOptional()
  @IsString()
  after?: string;
}

/** The page's cursor read back, or undefined for the first page; anything else is refused. */
export function pageCursor({ after }: CursorPageQuery): number | undefined {
  if (after === undefined) return undefined;
  const cursor = decodeCursor(after);
  if (cursor === undefined) throw new ProblemError(fieldProblem(400, 'Invalid after.', 'after', 'must be the next cursor of a previous page'));
  return cursor;
}
