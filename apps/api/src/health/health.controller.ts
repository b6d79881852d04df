import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { ProjectionRunner } from '@reclaim/projections';
import { problem, ProblemError } from '../http/problem';
import { Answers } from '../openapi/documented';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore, private readonly projections: ProjectionRunner) {}

  /** 200 while the store answers; 503 when it does not, so a load balancer takes us out. */
  @Get()
  @ApiOperation({ summary: 'Store reachable, and each projector position' })
  @Answers(200, 'Health')
  async health() {
    let head: bigint;
    try {
      head = await this.store.headPosition();
    } catch {
      throw new ProblemError(problem(503, 'The event store does not answer.'), { 'retry-after': '5' });
    }
    const failure = this.projections.lastError();
    return {
      status: 'ok',
      store: this.store.kind,
      head: head.toString(),
      projections: this.projections.positions(),
      ...(failure ? { lastProjectionError: failure.message } : {}),
    };
  }
}
