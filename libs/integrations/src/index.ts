import { allProjectors, type Projector } from '@reclaim/projections';
import { WebhooksProjector } from './webhooks/webhooks.projector';

export * from './cloud-events';
export * from './feed/event-feed';
export * from './feed/event-feeds';
export * from './webhooks/standard-webhooks';
export * from './webhooks/webhook.events';
export * from './webhooks/webhook.commands';
export * from './webhooks/webhook-settings';
export * from './webhooks/webhook-target';
export * from './webhooks/webhooks.projector';
export * from './webhooks/delivery-log';
export * from './webhooks/webhook-dispatcher';
export { IntegrationsModule } from './integrations.module';

/** Every read model of the product, the integrations' included: for the server and the CLI. */
export function everyProjector(): Projector[] {
  return [...allProjectors(), new WebhooksProjector()];
}
