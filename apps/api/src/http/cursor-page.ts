import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { decodeCursor, decodeNameCursor, type HistoryRange } from '@reclaim/projections';
import { IsOptional, IsString } from 'class-validator';
import { PageLimit } from './page-limit';
import { fieldProblem, ProblemError } from './problem';

const DEFAULT_LIMIT = 50;

/** `?after=`: where the previous page ended. */
const AfterCursor = () =>
  applyDecorators(ApiPropertyOptional({ description: 'The `next` cursor of the previous page.' }), IsOptional(), IsString());

/** `?limit=&after=` of a list in log order: a queue, the tickets found, a staff member's activity. */
export class CursorPageQuery {
  @PageLimit(200, DEFAULT_LIMIT)
  limit?: number;

  @AfterCursor()
  after?: string;
}

/**
 * `?limit=&after=` of a ticket's or an account's history: without them, the whole history, as
 * the contract promises; with them, pages for a history too long to read at once.
 */
export class HistoryPageQuery {
  @PageLimit(1000)
  limit?: number;

  @AfterCursor()
  after?: string;
}

/** A cursor read back (none for the first page); a cursor that is not one is refused. */
function readCursor<T>(after: string | undefined, decode: (cursor: string) => T | undefined): T | undefined {
  if (after === undefined) return undefined;
  const cursor = decode(after);
  if (cursor === undefined) throw new ProblemError(fieldProblem(400, 'Invalid after.', 'after', 'must be the next cursor of a previous page'));
  return cursor;
}

/** The page asked for: its size (the default when not given) and its cursor read back. */
export function requestedPage({ limit = DEFAULT_LIMIT, after }: CursorPageQuery): { limit: number; after?: number } {
  return { limit, after: readCursor(after, decodeCursor) };
}

/** The page asked for of a list in name order. */
export function requestedNamePage({ limit = DEFAULT_LIMIT, after }: CursorPageQuery): { limit: number; after?: string } {
  return { limit, after: readCursor(after, decodeNameCursor) };
}

/** The part of a history asked for: all of it unless `limit` or `after` say otherwise. */
export function requestedRange({ limit, after }: HistoryPageQuery): HistoryRange {
  return { limit, after: readCursor(after, decodeCursor) };
}
