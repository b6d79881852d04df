/**
 * Cursors are opaque to clients: the place of a page's last item in its order (the log position
 * of an event or of a ticket's arrival, a revision in a stream's history, or a name in a list in
 * name order), base64url.
 */
const encodeCursor = (at: number | string) => Buffer.from(typeof at === 'number' ? `s${at}` : `n${JSON.stringify(at)}`).toString('base64url');

export function decodeCursor(cursor: string): number | undefined {
  const match = /^s(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : undefined;
}

/** The name a cursor of a list in name order holds. */
export function decodeNameCursor(cursor: string): string | undefined {
  const match = /^n(".+")$/su.exec(Buffer.from(cursor, 'base64url').toString());
  try {
    return match ? (JSON.parse(match[1]!) as string) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A page from up to `limit + 1` rows read in order: the extra row only tells that another page
 * follows, whose cursor is the place of this page's last row.
 */
export function pageOf<T>(rows: T[], limit: number, placeOf: (row: T) => number | string): { page: T[]; next?: string } {
  const page = rows.slice(0, limit);
  return rows.length > limit ? { page, next: encodeCursor(placeOf(page[page.length - 1]!)) } : { page };
}
