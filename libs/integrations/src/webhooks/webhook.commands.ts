import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import type { SecretBox } from '@reclaim/credentials';
import { READ_MODEL_DB, type ReadModelDb } from '@reclaim/projections';
import { CLOCK, eventIdFor, InvalidCommand, NotFound, requireIssuedBy, SECRET_BOX, showAgain, StreamRunner, type Clock, type CommandMeta, type DecidedEvent } from '@reclaim/recovery';
import { newWebhookSecret } from './standard-webhooks';
import { ownerOf, WEBHOOK_STREAM_PREFIX, webhookFold, type DeliveryChange, type WebhookSetup, type WebhookState } from './webhook.events';
import { WEBHOOK_SETTINGS, type WebhookSettings } from './webhook-settings';
import { checkWebhookTarget } from './webhook-target';
import { webhookCount } from './webhooks.projector';

/**
 * Subscriptions that may exist at once. The dispatcher looks at each several times a second, so
 * their number bounds its work; a platform needs a handful.
 */
export const MOST_WEBHOOKS = 100;

/** A new subscription would make more than `MOST_WEBHOOKS` (409). */
export class WebhookLimitReached extends Error {
  constructor() {
    super(`at most ${MOST_WEBHOOKS} webhook subscriptions may exist at once`);
    this.name = 'WebhookLimitReached';
  }
}

export class CreateWebhookCommand extends Command<{ id: string; secret: string; url: string; types: string[]; concurrency: number | null; position: string }> {
  constructor(readonly url: string, readonly types: string[], readonly concurrency: number | null, readonly meta: CommandMeta) {
    super();
  }
}

/**
 * Sends a subscription's events elsewhere, or other types of them, or more or fewer at once, from
 * its checkpoint on: a receiver that moved keeps every event not yet delivered, where a new
 * subscription would miss those recorded before it.
 */
export class ChangeWebhookCommand extends Command<{ id: string; position: string }> {
  /** `ifMatch`: the subscription's revision the caller last saw: refused (412) once it changed since. */
  constructor(readonly webhookId: string, readonly setup: WebhookSetup, readonly meta: CommandMeta, readonly ifMatch?: bigint) {
    super();
  }
}

export class SetWebhookEnabledCommand extends Command<{ id: string; enabled: boolean; position: string }> {
  constructor(readonly webhookId: string, readonly enabled: boolean, readonly reason: string, readonly meta: CommandMeta) {
    super();
  }
}

/**
 * A new signing secret, for a secret that leaked or is due to change. The previous one still
 * signs for `previousValidForMs` (a second signature on each delivery), so the receiver can
 * switch to the new one without refusing a delivery meanwhile; 0 stops it at once.
 */
export class RotateWebhookSecretCommand extends Command<{ id: string; secret: string; previousSecretValidUntil: string; position: string }> {
  constructor(readonly webhookId: string, readonly previousValidForMs: number, readonly meta: CommandMeta) {
    super();
  }
}

/**
 * Records a change to what is delivered that someone made by hand (a redelivery asked for, a held
 * ticket given up), so that the subscription's history says who did it and when.
 */
export class RecordDeliveryChangeCommand extends Command<{ position: string }> {
  constructor(readonly webhookId: string, readonly change: Pick<DeliveryChange, 'type' | 'data'>, readonly meta: CommandMeta) {
    super();
  }
}

/** Ends a subscription for good (a disabled one can be enabled again; a deleted one cannot). */
export class DeleteWebhookCommand extends Command<{ id: string; deleted: true; position: string }> {
  constructor(readonly webhookId: string, readonly meta: CommandMeta, readonly ifMatch?: bigint) {
    super();
  }
}

@CommandHandler(CreateWebhookCommand)
export class CreateWebhookHandler implements ICommandHandler<CreateWebhookCommand> {
  constructor(
    private readonly runner: StreamRunner,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDb,
  ) {}

  async execute({ url, types, concurrency, meta }: CreateWebhookCommand) {
    await refuseTarget(url, this.settings);
    const id = eventIdFor(meta.commandId, 'webhook', 0);
    const secret = newWebhookSecret();
    // Counted in the read models, which hold every subscription this server answered for (its
    // answer waits for them); a retry of a create that went through is not counted again.
    const { state, position, repeat } = await this.runner.run(`${WEBHOOK_STREAM_PREFIX}${id}`, webhookFold, meta, () => {
      if (webhookCount(this.db) >= MOST_WEBHOOKS) throw new WebhookLimitReached();
      const chosen = concurrency === null ? {} : { concurrency };
      return [{ type: 'WebhookCreated', data: { webhookId: id, url, types, sealedSecret: this.secrets.seal(secret), ...chosen } }];
    });
    // A retry whose first answer was lost shows the secret that was kept (sealed) then, as the
    // one made now was never stored (see `lost-answer.ts` in @reclaim/recovery).
    return { id, secret: repeat ? showAgain(this.secrets, state.sealedSecret!, 'webhook secret') : secret, url, types, concurrency, position: position.toString() };
  }
}

@CommandHandler(ChangeWebhookCommand)
export class ChangeWebhookHandler implements ICommandHandler<ChangeWebhookCommand> {
  constructor(
    private readonly runner: StreamRunner,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
  ) {}

  async execute({ webhookId, setup, meta, ifMatch }: ChangeWebhookCommand) {
    await refuseTarget(setup.url, this.settings);
    const { position } = await onSubscription(this.runner, webhookId, meta, (state) => {
      const data = changedFrom(state, setup);
      return Object.keys(data).length ? [{ type: 'WebhookChanged', data }] : [];
    }, ifMatch);
    return { id: webhookId, position: position.toString() };
  }
}

/** What differs between a subscription and the setup asked for: asking for what is already so records nothing. */
function changedFrom(state: WebhookState, { url, types, concurrency }: WebhookSetup): Partial<WebhookSetup> {
  const sameTypes = types.length === state.types.length && types.every((type) => state.types.includes(type));
  return {
    ...(url !== state.url && { url }),
    ...(!sameTypes && { types }),
    ...(concurrency !== state.concurrency && { concurrency }),
  };
}

/**
 * A command on a subscription that exists (404 once deleted, or never made); `ifMatch`, where
 * given, is the revision of its stream the caller last saw (412 once it moved).
 */
function onSubscription(runner: StreamRunner, webhookId: string, meta: CommandMeta, decide: (state: WebhookState) => DecidedEvent[], ifMatch?: bigint) {
  return runner.run(`${WEBHOOK_STREAM_PREFIX}${webhookId}`, webhookFold, meta, (state) => {
    if (!state.exists) throw new NotFound('webhook');
    return decide(state);
  }, { ifMatch, what: 'webhook' });
}

/** A target the dispatcher may not send to (400 naming `url`). */
async function refuseTarget(url: string, settings: WebhookSettings): Promise<void> {
  const refused = await checkWebhookTarget(url, settings.allowLocal);
  if (refused) throw new InvalidCommand('url', refused);
}

@CommandHandler(SetWebhookEnabledCommand)
export class SetWebhookEnabledHandler implements ICommandHandler<SetWebhookEnabledCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ webhookId, enabled, reason, meta }: SetWebhookEnabledCommand) {
    const { position } = await onSubscription(this.runner, webhookId, meta, (state) => {
      // Enabling a running webhook still hands it to whoever enables it (see `ownerOf`).
      if (state.enabled === enabled && (!enabled || state.ownerId === ownerOf(meta.actor))) return [];
      return [enabled ? { type: 'WebhookEnabled', data: {} } : { type: 'WebhookDisabled', data: { reason } }];
    });
    return { id: webhookId, enabled, position: position.toString() };
  }
}

@CommandHandler(RotateWebhookSecretCommand)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecretCommand> {
  constructor(
    private readonly runner: StreamRunner,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ webhookId, previousValidForMs, meta }: RotateWebhookSecretCommand) {
    const secret = newWebhookSecret();
    const previousValidUntil = new Date(this.clock.now().getTime() + previousValidForMs).toISOString();
    const { state, position, repeat } = await onSubscription(this.runner, webhookId, meta, () => [
      { type: 'WebhookSecretRotated', data: { sealedSecret: this.secrets.seal(secret), previousValidUntil } },
    ]);
    if (repeat) {
      // The first answer was lost; the secret it issued is kept sealed, so it is shown again,
      // unless a later rotation has replaced it (its caller holds that one).
      requireIssuedBy(meta, state.secretIssuedBy, 'webhook secret');
      return { id: webhookId, secret: showAgain(this.secrets, state.sealedSecret!, 'webhook secret'), previousSecretValidUntil: state.previousValidUntil!, position: position.toString() };
    }
    return { id: webhookId, secret, previousSecretValidUntil: previousValidUntil, position: position.toString() };
  }
}

@CommandHandler(DeleteWebhookCommand)
export class DeleteWebhookHandler implements ICommandHandler<DeleteWebhookCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ webhookId, meta, ifMatch }: DeleteWebhookCommand) {
    const { position } = await onSubscription(this.runner, webhookId, meta, () => [{ type: 'WebhookDeleted', data: {} }], ifMatch);
    return { id: webhookId, deleted: true as const, position: position.toString() };
  }
}

@CommandHandler(RecordDeliveryChangeCommand)
export class RecordDeliveryChangeHandler implements ICommandHandler<RecordDeliveryChangeCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ webhookId, change, meta }: RecordDeliveryChangeCommand) {
    const { position } = await onSubscription(this.runner, webhookId, meta, () => [change]);
    return { position: position.toString() };
  }
}
