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
}

export const WEBHOOK_STREAM_PREFIX = 'webhook-';

export const webhookFold = {
  initialState: (): WebhookState => ({ revision: -1n, commandIds: CommandIds.empty(), exists: false, enabled: false, sealedSecret: undefined }),
  evolve: (state: WebhookState, stored: FoldableEvent): WebhookState => {
    const event = stored as WebhookEvent;
    return {
      ...foldBookkeeping(state, stored),
      exists: true,
      enabled: event.type !== 'WebhookDisabled',
      sealedSecret: event.type === 'WebhookCreated' ? event.data.sealedSecret : state.sealedSecret,
    };
  },
};
