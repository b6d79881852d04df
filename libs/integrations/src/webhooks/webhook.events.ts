import { staffMemberOf, type Actor } from '@reclaim/event-store';
import { CommandIds, foldBookkeeping, type DecidedEvent, type FoldableEvent } from '@reclaim/recovery';

/** Stream `webhook-<id>`. The secret is kept sealed: the dispatcher must read it back to sign. */
export type WebhookEvent =
  | DecidedEvent<'WebhookCreated', { webhookId: string; url: string; types: string[]; sealedSecret: string }>
  | DecidedEvent<'WebhookDisabled', { reason: string }>
  | DecidedEvent<'WebhookEnabled', Record<string, never>>
  // A new signing secret; the one before it still signs too (a second signature) until then.
  | DecidedEvent<'WebhookSecretRotated', { sealedSecret: string; previousValidUntil: string }>
  // Final: the subscription sends nothing more and is gone from the API; its events stay in the log.
  | DecidedEvent<'WebhookDeleted', Record<string, never>>;

export interface WebhookState {
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
    return {
      ...foldBookkeeping(state, stored),
      exists: event.type !== 'WebhookDeleted',
      enabled: takesOver || (event.type !== 'WebhookDisabled' && event.type !== 'WebhookDeleted' && state.enabled),
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
