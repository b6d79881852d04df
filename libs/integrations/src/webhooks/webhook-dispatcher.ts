import type Database from 'better-sqlite3';
import type { CommandBus } from '@nestjs/cqrs';
import type { SecretBox } from '@reclaim/credentials';
import type { EventStore, RecordedEvent } from '@reclaim/event-store';
import { staffStanding } from '@reclaim/projections';
import { INTEGRATING_ROLES } from '@reclaim/recovery';
import { randomUUID } from 'node:crypto';
import { internalTypesFor, toCloudEvent } from '../cloud-events';
import type { DeliveryLog, Sender } from './delivery-log';
import { signDelivery } from './standard-webhooks';
import { SetWebhookEnabledCommand } from './webhook.commands';
import { retryDelay, type WebhookSettings } from './webhook-settings';
import { postToWebhook } from './webhook-target';
import { previousSecretSigns, readWebhooks, type WebhookRow } from './webhooks.projector';

/**
 * Events one subscription sends in one turn. Subscriptions send side by side; a turn's end is
 * where a redelivery asked for meanwhile goes first, rather than behind the whole backlog.
 */
const BATCH = 100;

/**
 * Sends each subscription the public events recorded after its creation, one at a time and in
 * log order (so in order per ticket), at least once: the checkpoint moves only after a 2xx. A
 * failed delivery is retried after an exponential, jittered delay; the schedule is stored, so a
 * restart resumes it. A subscription that keeps failing for `disableAfterMs` is disabled.
 * Processes sharing the file take turns per subscription: each send happens under a lease.
 */
export class WebhookDispatcher {
  private timer?: NodeJS.Timeout;
  private readonly busy = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly sender: Sender = { id: randomUUID(), pid: process.pid };
  /** When this dispatcher's lease on each subscription it sends runs out. */
  private readonly leases = new Map<string, number>();

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

  /** Gives every enabled subscription that is not already sending a turn. */
  tick(): void {
    for (const webhook of readWebhooks(this.db)) {
      if (!webhook.enabled || this.busy.has(webhook.webhookId)) continue;
      const turn = this.turn(webhook)
        .catch(this.onError)
        .finally(() => this.busy.delete(webhook.webhookId));
      this.busy.set(webhook.webhookId, turn);
    }
  }

  private async turn(webhook: WebhookRow): Promise<void> {
    if (!this.holdsLease(webhook.webhookId)) return;
    const revoked = this.ownerRevoked(webhook);
    if (revoked) return this.disable(webhook, revoked);
    await this.manualRedelivery(webhook);
    for (let sent = 0; sent < BATCH && !this.stopped; sent++) {
      const progress = this.log.progress(webhook.webhookId, webhook.createdPosition);
      if (Date.now() < progress.nextAttemptAt) return;
      const next = await this.nextEvent(webhook, progress.position);
      // Each send takes the subscription as it stands now, not as the turn began: a secret
      // replaced because it leaked signs nothing more, and a disabled or deleted one sends
      // nothing more, however long the backlog. Not one event more once the owner is
      // deactivated or given a role that runs no webhooks either: the next turn disables it.
      const current = next && this.holdsLease(webhook.webhookId) ? stillSending(this.db, webhook.webhookId) : undefined;
      if (!next || !current || this.ownerRevoked(current)) return;
      webhook = current;
      const outcome = await this.send(webhook, next, progress.attempts + 1, false);
      if (outcome.ok) {
        this.log.record(outcome.attempt, { position: next.position, attempts: 0, nextAttemptAt: 0, failingSince: null });
        continue;
      }
      const failingSince = progress.failingSince ?? Date.now();
      const attempts = progress.attempts + 1;
      this.log.record(outcome.attempt, { position: progress.position, attempts, nextAttemptAt: Date.now() + retryDelay(attempts, this.settings), failingSince });
      if (Date.now() - failingSince >= this.settings.disableAfterMs) {
        const hours = Math.round(this.settings.disableAfterMs / 360_000) / 10;
        await this.disable(webhook, `disabled after failing for ${hours} h (${attempts} attempts)`);
      }
      return;
    }
  }

  /** The next event after `after` that this subscription wants; skipped events move the checkpoint. */
  private async nextEvent(webhook: WebhookRow, after: bigint): Promise<RecordedEvent | undefined> {
    const page = await this.store.readAll({ after, maxCount: 50, filter: { eventTypes: internalTypesFor(webhook.types) } });
    const wanted = page.find((event) => webhookSends(webhook, event));
    if (!wanted && page.length) {
      const progress = this.log.progress(webhook.webhookId, webhook.createdPosition);
      this.log.saveProgress(webhook.webhookId, { ...progress, position: page[page.length - 1]!.position });
    }
    return wanted;
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
    this.log.record(outcome.attempt, undefined);
    this.log.dropRedelivery(webhook.webhookId, position);
  }

  private async send(webhook: WebhookRow, event: RecordedEvent, attempt: number, manual: boolean) {
    const cloudEvent = toCloudEvent(event)!;
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
    return {
      ok: error === null,
      attempt: { webhookId: webhook.webhookId, position: event.position, eventId: cloudEvent.id, type: cloudEvent.type, attempt, statusCode, error, durationMs: Date.now() - started, manual },
    };
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
  const cloudEvent = toCloudEvent(event);
  return cloudEvent !== undefined && (webhook.types.length === 0 || webhook.types.includes(cloudEvent.type));
}
