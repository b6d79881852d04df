import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEEN_BY_REQUESTER, seenByRequester } from './seen-by-requester';

describe('the events a requester sees', () => {
  it('are the ones the event catalogue marks "seen", and the catalogue lists every ticket event', () => {
    const catalogue = readFileSync(join(__dirname, '../../../../docs/events.md'), 'utf8');
    const table = catalogue.slice(catalogue.indexOf('## `ticket-<ticketId>`'), catalogue.indexOf('\n## ', catalogue.indexOf('## `ticket-<ticketId>`') + 1));
    const rows = [...table.matchAll(/^\| `(\w+)`( \(seen\))? \|/gm)].map(([, type, seen]) => [type, seen !== undefined]);
    expect(Object.fromEntries(rows)).toEqual(SEEN_BY_REQUESTER);
  });

  it('are none of another stream', () => {
    expect(['AccountRegistered', 'StaffCreated', 'WebhookCreated', 'toString'].map(seenByRequester)).toEqual([false, false, false, false]);
  });
});
