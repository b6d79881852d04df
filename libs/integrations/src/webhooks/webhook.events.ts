import { staffMemberOf, type Actor } from '@reclaim/event-store';
import { CommandIds, foldBookkeeping, type DecidedEvent, type FoldableEvent } from '@reclaim/recovery';

/** Stream `webhook-<id>`. The secret is kept sealed: the dispatcher must read it back to sign. */
export type WebhookEvent =
  // `concurrency` only when one was chosen (else the server's RECLAIM_WEBHOOK_CONCURRENCY).
  | DecidedEvent<'WebhookCreated', { webhookId: string; url: string; types: string[]; sealedSecret: string; concurrency?: number }>
  // Only what changed; `concurrency: null` goes back to the server's default. The checkpoint,
  // the secret and the owner stay.
  | DecidedEvent<'WebhookChanged', Partial<WebhookSetup>>
  | DecidedEvent<'WebhookDisabled', { reason: string }>
  // Changes to what is delivered, made by hand, recorded for the history: who had an event sent
  // again, and who gave up a held ticket's events (after `after`, up to `upTo`). The delivery
  // state they change is the dispatcher's own, not folded from these.
  | DecidedEvent<'WebhookRedeliveryRequested', { position: string }>
  | DecidedEvent<'WebhookHeldTicketSkipped', { ticketId: string; after: string; upTo: string }>
  | DecidedEvent<'WebhookEnabled', Record<string, never>>
  // A new signing secret; the one before it still signs too (a second signature) until then.
  | DecidedEvent<'WebhookSecretRotated', { sealedSecret: string; previousValidUntil: string }>
  // Final: the subscription sends nothing more and is gone from the API; its events stay in the log.
  | DecidedEvent<'WebhookDeleted', Record<string, never>>;

/** A change to what is delivered made by hand, as recorded (see `RecordDeliveryChangeCommand`). */
export type DeliveryChange = Extract<WebhookEvent, { type: 'WebhookRedeliveryRequested' | 'WebhookHeldTicketSkipped' }>;

/** What a subscription sends, where, and how many at once: as created, or as changed since. */
export interface WebhookSetup {
  url: string;
  /** Empty: every public type. */
  types: string[];
  /** Deliveries under way at once; null: the server's default. */
  concurrency: number | null;
}

export interface WebhookState extends WebhookSetup {
  revision: bigint;
  commandIds: CommandIds;
  exists: boolean;
  enabled: boolean;
  sealedSecret?: string;
  /** The command that issued the secret in force (a retry of it may show it again). */
  secretIssuedBy?: string;
  /** Until when the secret before it also signs (after a rotation). */
  previousValidUntil?: string;
  /** The staff member on whose authority it runs: who created it, or last enabled it. */
  ownerId: string | null;
}

export const WEBHOOK_STREAM_PREFIX = 'webhook-';

export const webhookFold = {
  initialState: (): WebhookState => ({
    revision: -1n,
    commandIds: CommandIds.empty(),
    exists: false,
    enabled: false,
    url: '',
    types: [],
    concurrency: null,
    sealedSecret: undefined,
    secretIssuedBy: undefined,
    previousValidUntil: undefined,
    ownerId: null,
  }),
  evolve: (state: WebhookState, stored: FoldableEvent): WebhookState => {
    const event = stored as WebhookEvent;
    const issuesSecret = event.type === 'WebhookCreated' || event.type === 'WebhookSecretRotated';
    // Creating and enabling give the webhook to whoever did; a new secret changes neither.
    const takesOver = event.type === 'WebhookCreated' || event.type === 'WebhookEnabled';
    const changes: Partial<WebhookSetup> = event.type === 'WebhookCreated' ? { concurrency: null, ...event.data } : event.type === 'WebhookChanged' ? event.data : {};
    return {
      ...foldBookkeeping(state, stored),
      exists: event.type !== 'WebhookDeleted',
      enabled: takesOver || (event.type !== 'WebhookDisabled' && event.type !== 'WebhookDeleted' && state.enabled),
      url: changes.url ?? state.url,
      types: changes.types ?? state.types,
      concurrency: changes.concurrency !== undefined ? changes.concurrency : state.concurrency,
      sealedSecret: issuesSecret ? event.data.sealedSecret : state.sealedSecret,
      secretIssuedBy: issuesSecret ? stored.metadata?.causationId : state.secretIssuedBy,
      previousValidUntil: event.type === 'WebhookSecretRotated' ? event.data.previousValidUntil : state.previousValidUntil,
      ownerId: takesOver ? ownerOf(stored.metadata?.actor) : state.ownerId,
    };
  },
};

/** Who a creating or enabling actor makes the owner: a staff member (integrators are staff too). */
export function ownerOf(actor: Actor | undefined): string | null {
  return staffMemberOf(actor) ?? null;
}
