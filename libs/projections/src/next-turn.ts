/**
 * Resolves on a later turn of the event loop, after pending I/O. Reading from the embedded store
 * is synchronous, so a loop over many pages of the log would otherwise hold the one thread from
 * start to end: a server doing it would answer no one, not even /health, until done.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
