import type Database from 'better-sqlite3';
import type { CommandBus } from '@nestjs/cqrs';
import type { SecretBox } from '@reclaim/credentials';
import type { EventStore, RecordedEvent } from '@reclaim/event-store';
import { staffStanding } from '@reclaim/projections';
import { INTEGRATING_ROLES } from '@reclaim/recovery';
import { randomUUID } from 'node:crypto';
import { internalTypesFor, pingEvent, toCloudEvent, type CloudEvent } from '../cloud-events';
import { MOST_HELD_TICKETS, type DeliveryLog, type HeldTicket, type Progress, type Sender } from './delivery-log';
import { signDelivery } from './standard-webhooks';
import { SetWebhookEnabledCommand } from './webhook.commands';
import { deliveriesAtOnce, retryDelay, type WebhookSettings } from './webhook-settings';
import { postToWebhook } from './webhook-target';
import { previousSecretSigns, readWebhooks, type WebhookRow } from './webhooks.projector';

/**
 * Events one subscription sends in one turn. Subscriptions send side by side; a turn's end is
 * where a redelivery asked for meanwhile goes first, rather than behind the whole backlog.
 */
const BATCH = 100;

/** Pages of the log a held ticket's turn reads through for its next event, at most, before it gives way. */
const HELD_SCAN_PAGES = 20;
const PAGE = 50;

/** One turn of one subscription: the subscription as it stood at its latest send, and how many sends are left. */
interface Turn {
  webhook: WebhookRow;
  sendsLeft: number;
}

/**
 * Sends each subscription the public events recorded after its creation, in log order, at least
 * once, several tickets' at a time (one event of each): the checkpoint moves only after a 2xx. An
 * event the receiver refuses holds its ticket back (`HeldTicket`): that ticket's events are
 * retried in order after an exponential, jittered delay, while the other tickets' go on; so one
 * event a receiver keeps refusing does not stop every other ticket's. The schedule is stored, so a restart resumes it. A subscription failing for
 * `disableAfterMs` with no delivery in between is disabled. Processes sharing the file take turns
 * per subscription: each send happens under a lease.
 */
export class WebhookDispatcher {
  private timer?: NodeJS.Timeout;
  private readonly busy = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly sender: Sender = { id: randomUUID(), pid: process.pid };
  /** When this dispatcher's lease on each subscription it sends runs out. */
  private readonly leases = new Map<string, number>();
  /** Per subscription, the events delivered beyond its checkpoint (see `aheadOf`). */
  private readonly ahead = new Map<string, Set<bigint>>();

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly log: DeliveryLog,
    private readonly secrets: SecretBox,
    private readonly commands: CommandBus,
    private readonly settings: WebhookSettings,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.settings.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.busy.values());
    for (const webhookId of this.leases.keys()) this.log.releaseSender(webhookId, this.sender);
    this.leases.clear();
  }

  /**
   * A lease outlasts a delivery (bounded by the timeout) with room to spare, and is renewed
   * before a send once half of it is spent; so a sender never loses it while sending, and a
   * process that hangs gives the subscription up after `3 × timeoutMs`.
   */
  private holdsLease(webhookId: string): boolean {
    const leaseMs = 3 * this.settings.timeoutMs;
    const now = Date.now();
    if ((this.leases.get(webhookId) ?? 0) - now > leaseMs / 2) return true;
    if (!this.log.claimSender(webhookId, this.sender, now, leaseMs)) {
      this.leases.delete(webhookId);
      return false;
    }
    this.leases.set(webhookId, now + leaseMs);
    return true;
  }

  /**
   * Gives every enabled subscription that is not already sending a turn; one whose turn used up
   * its sends (a backlog) gets the next at once, not at the next tick.
   */
  tick(): void {
    for (const webhook of readWebhooks(this.db)) {
      if (!webhook.enabled || this.busy.has(webhook.webhookId)) continue;
      const turn = this.turn(webhook)
        .catch((error) => void this.onError(error))
        .then((backlog) => {
          this.busy.delete(webhook.webhookId);
          if (backlog && !this.stopped) setImmediate(() => this.tick());
        });
      this.busy.set(webhook.webhookId, turn);
    }
  }

  /** One turn; answers whether it ended with sends still to make. */
  private async turn(webhook: WebhookRow): Promise<boolean> {
    if (!this.holdsLease(webhook.webhookId)) return false;
    const revoked = this.ownerRevoked(webhook);
    if (revoked) {
      await this.disable(webhook, revoked);
      return false;
    }
    await this.manualRedelivery(webhook);
    const turn: Turn = { webhook, sendsLeft: BATCH };
    // The held tickets due, several at once as in log order, each ticket's events in order: after a
    // receiver's outage, ten held tickets catch up together rather than one after another.
    const due = this.log.heldTickets(webhook.webhookId).filter((held) => Date.now() >= held.nextAttemptAt);
    const atOnce = deliveriesAtOnce(webhook.concurrency, this.settings);
    for (let first = 0; first < due.length; first += atOnce) {
      const goOn = await Promise.all(due.slice(first, first + atOnce).map((held) => this.sendHeld(turn, held)));
      if (goOn.includes(false)) return turn.sendsLeft === 0;
    }
    await this.sendInLogOrder(turn);
    return turn.sendsLeft === 0;
  }

  /**
   * Whether the turn may send once more, taking the subscription as it stands now, not as the
   * turn began: a secret replaced because it leaked signs nothing more, and a disabled or deleted
   * one sends nothing more, however long the backlog. Not one event more once the owner is
   * deactivated or given a role that runs no webhooks either: the next turn disables it.
   */
  private maySend(turn: Turn): boolean {
    if (turn.sendsLeft === 0 || this.stopped || !this.holdsLease(turn.webhook.webhookId)) return false;
    const current = stillSending(this.db, turn.webhook.webhookId);
    if (!current || this.ownerRevoked(current)) return false;
    turn.webhook = current;
    turn.sendsLeft--;
    return true;
  }

  /**
   * The events after the checkpoint, in log order, but those of the tickets held, which their own
   * turns send. Several go at once (`concurrency`), each the next of another ticket, as order is
   * promised per ticket only: an event whose ticket has an earlier one not yet delivered waits,
   * and the tickets after it go on (see `nextEvents`). No more go at once than there are places
   * to hold a ticket, so that each one refused holds its ticket. Once every place is taken, the
   * next event waits where it is, alone, retried on the subscription's own schedule.
   */
  private async sendInLogOrder(turn: Turn): Promise<void> {
    const { webhookId, createdPosition } = turn.webhook;
    for (;;) {
      const progress = this.log.progress(webhookId, createdPosition);
      if (Date.now() < progress.nextAttemptAt) return;
      const held = new Set(this.log.heldTickets(webhookId).map(({ ticketId }) => ticketId));
      const places = MOST_HELD_TICKETS - held.size;
      const ahead = this.aheadOf(webhookId);
      const { next, seen } = await this.nextEvents(turn.webhook, progress, held, ahead, Math.max(1, Math.min(deliveriesAtOnce(turn.webhook.concurrency, this.settings), places)));
      if (!seen.length) return;
      let sending = 0;
      while (sending < next.length && this.maySend(turn)) sending++;
      if (next.length && !sending) return;
      // The first is the event after the checkpoint, which may have been tried before.
      const outcomes = await Promise.all(next.slice(0, sending).map((event, i) => this.send(turn.webhook, event, i === 0 ? progress.attempts + 1 : 1, false)));
      let failingSince = progress.failingSince;
      const delivered = new Set<bigint>();
      for (const [i, { ok, attempt }] of outcomes.entries()) {
        const now = Date.now();
        failingSince = ok ? null : (failingSince ?? now);
        const retry = { attempts: attempt.attempt, nextAttemptAt: now + retryDelay(attempt.attempt, this.settings) };
        if (ok) delivered.add(next[i]!.position);
        this.log.record(attempt, () => {
          if (!ok && places === 0) this.log.saveProgress(webhookId, { ...progress, ...retry, failingSince });
          else if (!ok) this.log.hold(webhookId, { ticketId: attempt.ticketId, after: progress.position, ...retry, heldAt: now });
        });
      }
      const failed = outcomes.filter(({ ok }) => !ok);
      if (places === 0 && failed.length) {
        await this.disabledForFailing(turn.webhook, failingSince!, failed[0]!.attempt.attempt);
        return;
      }
      // The checkpoint moves past every event seen that is done with: delivered (now or ahead of
      // it before), of a ticket held (one held just now waits for the next pass), or not one this
      // subscription sends; up to the first that is not. Those delivered beyond it are
      // remembered, so as not to be sent again.
      let position = progress.position;
      for (const { position: at, ticketId } of seen) {
        if (ticketId !== undefined && !held.has(ticketId) && !delivered.has(at) && !ahead.has(at)) break;
        position = at;
      }
      for (const delivery of delivered) if (delivery > position) ahead.add(delivery);
      for (const delivery of ahead) if (delivery <= position) ahead.delete(delivery);
      this.log.saveProgress(webhookId, { position, attempts: 0, nextAttemptAt: 0, failingSince });
      if (failed.length && failingSince !== null && (await this.disabledForFailing(turn.webhook, failingSince, Math.max(...failed.map(({ attempt }) => attempt.attempt))))) return;
      if (sending < next.length) return;
    }
  }

  /**
   * A held ticket's events up to the checkpoint, in order, from the one refused; once they are
   * all delivered, the ticket goes back to log order. False when the turn ends here.
   */
  private async sendHeld(turn: Turn, held: HeldTicket): Promise<boolean> {
    const { webhookId, createdPosition } = turn.webhook;
    for (;;) {
      const next = await this.nextOfTicket(turn.webhook, held, this.log.progress(webhookId, createdPosition).position);
      if (next === 'caught-up') {
        this.log.release(webhookId, held.ticketId);
        return true;
      }
      if (!next || !this.maySend(turn)) return false;
      const attempts = held.attempts + 1;
      const outcome = await this.send(turn.webhook, next, attempts, false);
      const progress = this.log.progress(webhookId, createdPosition);
      if (outcome.ok) {
        held = { ...held, after: next.position, attempts: 0, nextAttemptAt: 0 };
        let stillHeld = true;
        this.log.record(outcome.attempt, () => {
          stillHeld = this.log.saveHeld(webhookId, held);
          this.log.saveProgress(webhookId, { ...progress, failingSince: null });
        });
        // Its events were given up meanwhile: the ticket is back in log order.
        if (!stillHeld) return true;
        continue;
      }
      const now = Date.now();
      const failingSince = progress.failingSince ?? now;
      held = { ...held, attempts, nextAttemptAt: now + retryDelay(attempts, this.settings) };
      this.log.record(outcome.attempt, () => {
        this.log.saveHeld(webhookId, held);
        this.log.saveProgress(webhookId, { ...progress, failingSince });
      });
      return !(await this.disabledForFailing(turn.webhook, failingSince, attempts));
    }
  }

  /** Disables a subscription that has delivered nothing for `disableAfterMs`; says whether it did. */
  private async disabledForFailing(webhook: WebhookRow, failingSince: number, attempts: number): Promise<boolean> {
    if (Date.now() - failingSince < this.settings.disableAfterMs) return false;
    const hours = Math.round(this.settings.disableAfterMs / 360_000) / 10;
    await this.disable(webhook, `disabled after failing for ${hours} h (${attempts} attempts)`);
    return true;
  }

  /**
   * From a page of the log after the checkpoint: the next events to send, at most `most`, each
   * the first of its ticket not yet delivered (none of a ticket held, none delivered ahead of the
   * checkpoint before), and the events seen up to the last of them, or the whole page, each with
   * the ticket it is sent as (none for one this subscription does not send).
   */
  private async nextEvents(webhook: WebhookRow, progress: Progress, held: Set<string>, ahead: Set<bigint>, most: number) {
    const page = await this.pageAfter(webhook, progress.position);
    const next: RecordedEvent[] = [];
    const seen: Array<{ position: bigint; ticketId?: string }> = [];
    // Tickets with an event not yet delivered since the checkpoint: their later events wait.
    const waiting = new Set<string>();
    for (const event of page) {
      const ticketId = ticketSent(webhook, event);
      if (ticketId !== undefined && !held.has(ticketId) && !ahead.has(event.position)) {
        if (!waiting.has(ticketId)) {
          if (next.length === most) break;
          next.push(event);
        }
        waiting.add(ticketId);
      }
      seen.push({ position: event.position, ticketId });
    }
    return { next, seen };
  }

  /**
   * The events this dispatcher delivered beyond a subscription's checkpoint, while an earlier
   * event (of another ticket) waited there. Kept in memory only: after a restart, or in another
   * process, they are sent again, which at least once allows.
   */
  private aheadOf(webhookId: string): Set<bigint> {
    if (!this.ahead.has(webhookId)) this.ahead.set(webhookId, new Set());
    return this.ahead.get(webhookId)!;
  }

  /**
   * A held ticket's next event up to the checkpoint; `caught-up` when it has none left there, and
   * undefined when the pages one turn reads ran out first (how far they came is kept).
   */
  private async nextOfTicket(webhook: WebhookRow, held: HeldTicket, upTo: bigint): Promise<RecordedEvent | 'caught-up' | undefined> {
    let after = held.after;
    for (let pages = 0; pages < HELD_SCAN_PAGES; pages++) {
      const page = await this.pageAfter(webhook, after);
      const within = page.filter((event) => event.position <= upTo);
      const wanted = within.find((event) => ticketSent(webhook, event) === held.ticketId);
      if (wanted) return wanted;
      if (within.length < PAGE) return 'caught-up';
      after = within[within.length - 1]!.position;
    }
    this.log.saveHeld(webhook.webhookId, { ...held, after });
    return undefined;
  }

  /** A page of the log after `after`, of the types this subscription sends. */
  private pageAfter(webhook: WebhookRow, after: bigint): Promise<RecordedEvent[]> {
    return this.store.readAll({ after, maxCount: PAGE, filter: { eventTypes: internalTypesFor(webhook.types) } });
  }

  private async manualRedelivery(webhook: WebhookRow): Promise<void> {
    const position = this.log.pendingRedelivery(webhook.webhookId);
    if (position === undefined) return;
    const event = await this.store.eventAt(position);
    if (!event || !webhookSends(webhook, event)) {
      this.log.dropRedelivery(webhook.webhookId, position);
      return;
    }
    const outcome = await this.send(webhook, event, 1, true);
    this.log.record(outcome.attempt);
    this.log.dropRedelivery(webhook.webhookId, position);
  }

  private async send(webhook: WebhookRow, event: RecordedEvent, attempt: number, manual: boolean) {
    const cloudEvent = toCloudEvent(event)!;
    const { statusCode, error, durationMs } = await this.post(webhook, cloudEvent);
    return {
      ok: error === null,
      attempt: { webhookId: webhook.webhookId, position: event.position, eventId: cloudEvent.id, type: cloudEvent.type, ticketId: cloudEvent.subject, attempt, statusCode, error, durationMs, manual },
    };
  }

  /**
   * Sends the subscription a ping now, signed as its deliveries are, also while it is disabled
   * (to try a receiver before enabling it); the log of attempts and the checkpoint are not
   * touched. Answers the event sent and what the receiver said.
   */
  async ping(webhook: WebhookRow) {
    const event = pingEvent(webhook.webhookId, new Date());
    return { eventId: event.id, ...(await this.post(webhook, event)) };
  }

  /** POSTs a CloudEvent, signed, to the subscription's URL: the receiver's status, or why there is none. */
  private async post(webhook: WebhookRow, cloudEvent: CloudEvent) {
    const body = JSON.stringify(cloudEvent);
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      statusCode = await postToWebhook(webhook.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Reclaim-Webhooks/1',
          ...signDelivery(this.signingSecrets(webhook), cloudEvent.id, new Date(), body),
        },
        body,
        timeoutMs: this.settings.timeoutMs,
        allowLocal: this.settings.allowLocal,
      });
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (caught) {
      error = (caught as Error).message;
    }
    return { statusCode, error, durationMs: Date.now() - started };
  }

  /**
   * The secret in force, and the one before it while it still signs. One sealed with a secret key
   * lost and replaced since opens no more: the webhook then sends nothing until given a new secret.
   */
  private signingSecrets(webhook: WebhookRow): string[] {
    const current = this.secrets.tryOpen(webhook.sealedSecret);
    if (current === undefined) {
      throw new Error(`the webhook's secret was sealed with a secret key replaced since: give it a new one (POST /v1/webhooks/${webhook.webhookId}/secret)`);
    }
    const previous = previousSecretSigns(webhook) ? this.secrets.tryOpen(webhook.previousSealedSecret!) : undefined;
    return previous === undefined ? [current] : [current, previous];
  }

  /**
   * A webhook runs on its owner's authority (who created it, or last enabled it): a credential
   * deactivated because it leaked must not leave behind a webhook still sending recovery events
   * to wherever its holder pointed it, nor may one whose holder now works tickets instead. Says
   * why the owner's authority is gone, if it is.
   */
  private ownerRevoked(webhook: WebhookRow): string | undefined {
    const owner = webhook.ownerId === null ? undefined : staffStanding(this.db, webhook.ownerId);
    if (!owner) return undefined;
    if (!owner.active) return 'disabled as its owner was deactivated';
    if (!INTEGRATING_ROLES.includes(owner.role)) return `disabled as its owner was given the ${owner.role} role, which runs no webhooks`;
    return undefined;
  }

  private async disable(webhook: WebhookRow, reason: string): Promise<void> {
    await this.commands.execute(
      new SetWebhookEnabledCommand(webhook.webhookId, false, reason, { commandId: randomUUID(), actor: { kind: 'system', id: 'webhook-dispatcher' } }),
    );
  }
}

/** The subscription as it stands now, while it is enabled. */
function stillSending(db: Database.Database, webhookId: string): WebhookRow | undefined {
  const [webhook] = readWebhooks(db, webhookId);
  return webhook?.enabled ? webhook : undefined;
}

/** Whether this subscription sends this event: a public one, of a type it asked for. */
export function webhookSends(webhook: WebhookRow, event: RecordedEvent): boolean {
  return ticketSent(webhook, event) !== undefined;
}

/** The ticket of an event this subscription sends (its subject); none for an event it does not send. */
function ticketSent(webhook: WebhookRow, event: RecordedEvent): string | undefined {
  const cloudEvent = toCloudEvent(event);
  return cloudEvent !== undefined && (webhook.types.length === 0 || webhook.types.includes(cloudEvent.type)) ? cloudEvent.subject : undefined;
}
