import { client, createStaff, startServer } from '../support/server';

const ENV = { RECLAIM_SLA_RESPONSE: '8s', RECLAIM_REPLY_TIMEOUT: '10s' };

describe('timers on the real clock', () => {
  it('fire within two seconds of falling due, also across a restart', async () => {
    let server = await startServer(ENV);
    try {
      let call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const waiting = (await call('POST', '/v1/tickets', { body: { username: 'slow', contactEmail: 's@example.org', reason: 'lost-email', explanation: 'x' } })).body.ticketId as string;
      const asked = (await call('POST', '/v1/tickets', { body: { username: 'quiet', contactEmail: 'q@example.org', reason: 'lost-email', explanation: 'x' } })).body.ticketId as string;
      await call('POST', `/v1/tickets/${asked}/request-info`, { token: agent, body: { question: 'Still there?' } });

      // Restart well before anything is due: the due work is in the data, not in memory.
      await server.stop();
      server = await startServer(ENV, server.dataDir);
      call = client(server.url);

      const history = async (id: string) => (await call('GET', `/v1/tickets/${id}/history`, { token: agent })).body.events as Array<{ type: string; recordedAt: string; data: Record<string, string> }>;
      const until = Date.now() + 25_000;
      while (Date.now() < until) {
        const done = (await history(waiting)).some((e) => e.type === 'TicketMarkedOverdue') && (await history(asked)).some((e) => e.type === 'TicketRejected');
        if (done) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const overdue = (await history(waiting)).find((e) => e.type === 'TicketMarkedOverdue')!;
      expect(Date.parse(overdue.recordedAt) - Date.parse(overdue.data.dueAt!)).toBeLessThanOrEqual(2000);
      const questions = await history(asked);
      const reminder = questions.find((e) => e.type === 'ReplyReminderSent')!;
      expect(Date.parse(reminder.recordedAt) - Date.parse(reminder.data.dueAt!)).toBeLessThanOrEqual(2000);
      const rejected = questions.find((e) => e.type === 'TicketRejected')!;
      expect(rejected.data.reason).toBe('no-response');
      expect(Date.parse(rejected.recordedAt) - Date.parse(reminder.data.expiresAt!)).toBeLessThanOrEqual(2000);
      expect(questions.filter((e) => e.type === 'ReplyReminderSent')).toHaveLength(1);
      const view = await call('GET', `/v1/tickets/${waiting}`, { token: agent });
      expect(view.body.overdue).toBe(true);
    } finally {
      await server.stop();
      server.cleanUp();
    }
  }, 60000);

  it('send no reminder once the reply time is over: a restart with a shorter RECLAIM_REPLY_TIMEOUT rejects the ticket, with no reminder of a time gone by', async () => {
    let server = await startServer();
    try {
      let call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const { ticketId: asked, accessToken } = (await call('POST', '/v1/tickets', { body: { username: 'away', contactEmail: 'a@example.org', reason: 'lost-email', explanation: 'x' } })).body;
      await call('POST', `/v1/tickets/${asked}/request-info`, { token: agent, body: { question: 'Still there?' } });
      await server.stop();
      // Both the reminder (at half the time) and the end are long past under the new timeout.
      await new Promise((r) => setTimeout(r, 1200));
      server = await startServer({ RECLAIM_REPLY_TIMEOUT: '1s' }, server.dataDir);
      call = client(server.url);
      const history = async () => (await call('GET', `/v1/tickets/${asked}/history`, { token: agent })).body.events as Array<{ type: string; data: Record<string, string> }>;
      const until = Date.now() + 10_000;
      while (Date.now() < until && !(await history()).some((e) => e.type === 'TicketRejected')) await new Promise((r) => setTimeout(r, 250));
      expect((await history()).map((e) => e.type)).toEqual(['TicketSubmitted', 'InfoRequested', 'TicketRejected']);
      // The requester is told why: their question went unanswered.
      const seen = (await call('GET', `/v1/tickets/${asked}`, { token: accessToken })).body;
      expect([seen.state, seen.rejectionReason, seen.messages.map((m: { kind: string }) => m.kind)]).toEqual(['rejected', 'no-response', ['question']]);
    } finally {
      await server.stop();
      server.cleanUp();
    }
  }, 60000);
});
