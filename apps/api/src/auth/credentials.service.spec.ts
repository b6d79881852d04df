import { allProjectors, ProjectionRunner, TicketQueries } from '@reclaim/projections';
import { CreateStaffCommand, SubmitTicketCommand } from '@reclaim/recovery';
import { recoveryHarness, type RecoveryHarness } from '@reclaim/recovery/testing';
import type { AppConfig } from '../config';
import { CredentialsService } from './credentials.service';

/**
 * A token issued a moment ago is in the log before it is in the read models the guard reads (a
 * new staff member's, a requester's, or one a retry issued in place of a lost answer's, with
 * nothing in between to wait for it). Here the read models are held back until the lookup has
 * missed once, which the HTTP tests cannot arrange.
 */
describe('CredentialsService', () => {
  let h: RecoveryHarness;
  let runner: ProjectionRunner;
  let credentials: CredentialsService;
  beforeEach(async () => {
    h = await recoveryHarness();
    runner = new ProjectionRunner(h.store, h.store.database, allProjectors());
    const tickets = new TicketQueries(h.store.database, h.store, { slaResponseMs: 86_400_000, replyTimeoutMs: 86_400_000 });
    credentials = new CredentialsService({ adminToken: undefined } as AppConfig, h.store.database, h.store, runner, tickets);
  });
  afterEach(async () => {
    await runner.stop();
    await h.close();
  });

  it('finds a token not yet in the read models once they catch up with the log', async () => {
    const { id, token } = await h.bus.execute(new CreateStaffCommand('Ada', 'agent', h.meta({ kind: 'staff', id: 'admin' })));
    const ticket = await h.bus.execute(
      new SubmitTicketCommand({ username: 'zoe', contactEmail: 'z@example.org', previousEmails: [], reason: 'lost-email', explanation: 'x', packages: [] }, h.meta()),
    );
    // Each lookup misses at once (it reads the read models before anything else), then waits.
    const staff = credentials.staff(token);
    const requester = credentials.requesterTicket(ticket.accessToken);
    runner.start();
    expect(await staff).toMatchObject({ kind: 'staff', id, role: 'agent' });
    expect(await requester).toBe(ticket.ticketId);
  });

  it('answers a token that is nowhere as unknown, once the read models hold the whole log', async () => {
    runner.start();
    expect(await credentials.staff('stf_unknown')).toBeUndefined();
    expect(await credentials.requesterTicket('rqt_unknown')).toBeUndefined();
  });
});
