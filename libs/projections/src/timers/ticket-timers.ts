import type Database from 'better-sqlite3';
import type { CommandBus } from '@nestjs/cqrs';
import { ChangeTicketCommand, TICKET_TIMERS, timerDelays, type Clock, type TicketChange, type TicketPolicy, type TicketTimer } from '@reclaim/recovery';
import { prepared } from '../prepared';
import { followUpChange, ticketFollowUps } from '../tickets/ticket-follow-ups';

const COMMAND_FOR: Record<TicketTimer, 'MarkOverdue' | 'RemindRequester' | 'ExpireTicket'> = {
  overdue: 'MarkOverdue',
  'overdue-high': 'MarkOverdue',
  remind: 'RemindRequester',
  expire: 'ExpireTicket',
};

/**
 * Fires due timers: every tick it reads the due-work lists (kept by the tickets projector from the
 * log, so they survive restarts) and sends each ticket its timer command, and each follow-up its
 * command. The command id is made from the work itself, so work done twice (two instances, a
 * restart, a slow projection) is applied once; the decider checks again that it is really due.
 */
export class TicketTimers {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly db: Database.Database,
    private readonly commands: CommandBus,
    private readonly clock: Clock,
    private readonly policy: TicketPolicy,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Sends every due timer once; answers how many were sent. Ticks never overlap. */
  tick(): Promise<number> {
    this.running ??= this.fireDue().finally(() => (this.running = undefined));
    return this.running;
  }

  private async fireDue(): Promise<number> {
    const now = this.clock.now().getTime();
    const delays = timerDelays(this.policy);
    let sent = 0;
    for (const kind of TICKET_TIMERS) {
      const due = prepared(this.db, 'SELECT ticket_id AS ticketId, anchor_ms AS anchor FROM ticket_timers WHERE kind = ? AND anchor_ms <= ? ORDER BY anchor_ms LIMIT 500')
        .all(kind, now - delays[kind]) as Array<{ ticketId: string; anchor: number }>;
      for (const { ticketId, anchor } of due) {
        if (await this.send(ticketId, { type: COMMAND_FOR[kind] }, `timer-${kind}-${ticketId}-${anchor}`, `timer:${kind}`)) sent++;
      }
    }
    for (const followUp of ticketFollowUps.due(this.db)) {
      if (await this.send(followUp.ticketId, followUpChange(followUp), `follow-up-${followUp.because}-${followUp.ticketId}`, followUp.because)) sent++;
    }
    return sent;
  }

  /** Sends one piece of due work as the system; a failure is reported, and the work is tried again next tick. */
  private async send(ticketId: string, change: TicketChange, commandId: string, actorId: string): Promise<boolean> {
    try {
      await this.commands.execute(new ChangeTicketCommand(ticketId, change, { commandId, actor: { kind: 'system', id: actorId } }));
      return true;
    } catch (error) {
      this.onError(error);
      return false;
    }
  }
}
