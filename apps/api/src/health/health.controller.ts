import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';

@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** 200 while the store answers; 503 when it does not, so a load balancer takes us out. */
  @Get()
  async health() {
    try {
      await this.store.headPosition();
    } catch {
      throw new ServiceUnavailableException('the event store does not answer');
    }
    return { status: 'ok', store: this.store.kind, projections: {} as Record<string, string> };
  }
}
