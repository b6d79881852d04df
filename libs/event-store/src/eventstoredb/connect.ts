import { EventStoreDBClient } from '@eventstore/db-client';

/** The password of an `esdb://user:password@…` connection string, if it has one. */
function passwordOf(connectionString: string): string | undefined {
  return /^esdb(?:\+discover)?:\/\/[^:@/]*:([^@/]+)@/.exec(connectionString)?.[1];
}

/** Text that may quote the connection string, with its password masked. */
export function maskPassword(connectionString: string, text: string): string {
  const password = passwordOf(connectionString);
  return password ? text.split(password).join('***') : text;
}

/**
 * The client for a connection string. The library quotes the whole string in its warnings (an
 * unknown option key) and its parse errors, and both end up in the logs: they go out with the
 * password masked.
 */
export function connectToEventStoreDb(connectionString: string): EventStoreDBClient {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warn(...args.map((arg) => (typeof arg === 'string' ? maskPassword(connectionString, arg) : arg)));
  try {
    return EventStoreDBClient.connectionString(connectionString);
  } catch (error) {
    throw new Error(maskPassword(connectionString, (error as Error).message));
  } finally {
    console.warn = warn;
  }
}
