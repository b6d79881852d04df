import type { Actor } from '@reclaim/event-store';
import { CommandIds, foldBookkeeping, type DecidedEvent, type FoldableEvent } from '@reclaim/recovery';

/** Stream `webhook-<id>`. The secret is kept sealed: the dispatcher must read it back to sign. */
export type WebhookEvent =
  | DecidedEvent<'WebhookCreated', { webhookId: string; url: string; types: string[]; sealedSecret: string }>
  | DecidedEvent<'WebhookDisabled', { reason: string }>
  | DecidedEvent<'WebhookEnabled', Record<string, never>>;

export interface WebhookState {
  revision: bigint;
  commandIds: CommandIds;
  exists: boolean;
  enabled: boolean;
  sealedSecret?: string;
  /** The staff member on whose authority it runs: who created it, or last enabled it. */
  ownerId: string | null;
}

export const WEBHOOK_STREAM_PREFIX = 'webhook-';

export const webhookFold = {
  initialState: (): WebhookState => ({ revision: -1n, commandIds: CommandIds.empty(), exists: false, enabled: false, sealedSecret: undefined, ownerId: null }),
  evolve: (state: WebhookState, stored: FoldableEvent): WebhookState => {
    const event = stored as WebhookEvent;
    return {
      ...foldBookkeeping(state, stored),
      exists: true,
      enabled: event.type !== 'WebhookDisabled',
      sealedSecret: event.type === 'WebhookCreated' ? event.data.sealedSecret : state.sealedSecret,
      ownerId: event.type === 'WebhookDisabled' ? state.ownerId : ownerOf(stored.metadata?.actor),
    };
  },
};

/** Who a creating or enabling actor makes the owner: a staff member (integrators are staff too). */
export function ownerOf(actor: Actor | undefined): string | null {
  return actor && (actor.kind === 'staff' || actor.kind === 'integrator') ? actor.id : null;
}
