/**
 * Cursors are opaque to clients: the place of a page's last item in its order (the log position
 * of an event or of a ticket's arrival, or a revision in a stream's history), base64url.
 */
const encodeCursor = (at: number) => Buffer.from(`s${at}`).toString('base64url');

export function decodeCursor(cursor: string): number | undefined {
  const match = /^s(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : undefined;
}

/**
 * A page from up to `limit + 1` rows read in order: the extra row only tells that another page
 * follows, whose cursor is the place of this page's last row.
 */
export function pageOf<T>(rows: T[], limit: number, placeOf: (row: T) => number): { page: T[]; next?: string } {
  const page = rows.slice(0, limit);
  return rows.length > limit ? { page, next: encodeCursor(placeOf(page[page.length - 1]!)) } : { page };
}
