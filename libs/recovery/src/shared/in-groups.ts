/**
 * Runs `work` on every item, `size` at once, and answers the results in the items' order. Commands
 * on different streams that run together share the store's commits (one fsync for the group),
 * where one after another each waits for its own.
 */
export async function inGroups<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let first = 0; first < items.length; first += size) results.push(...(await Promise.all(items.slice(first, first + size).map(work))));
  return results;
}
