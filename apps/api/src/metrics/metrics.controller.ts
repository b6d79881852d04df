import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { DeliveryLog, readWebhooks } from '@reclaim/integrations';
import { ProjectionRunner, queueCounts, READ_MODEL_DB, type ReadModelDb } from '@reclaim/projections';
import type { FastifyReply } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { bearerToken } from '../auth/access.guard';
import { APP_CONFIG, type AppConfig } from '../config';
import { problem, ProblemError } from '../http/problem';
import { HttpMetrics } from './http-metrics';
import { metric } from './prometheus-text';

const LOOP_SAMPLE_MS = 10;

/**
 * `GET /metrics` for Prometheus: how far the read models and webhooks are behind, each queue's
 * size (an alert on `overdue`), the answers by route and status, and the event loop's delay.
 * A scraper holds a token of its own (`RECLAIM_METRICS_TOKEN`), not a staff member's: it reads
 * counts, never a ticket.
 */
@Controller('metrics')
export class MetricsController {
  /** The event loop's delay since the previous scrape, sampled every 10 ms. */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDb,
    private readonly projections: ProjectionRunner,
    private readonly deliveries: DeliveryLog,
    private readonly http: HttpMetrics,
  ) {
    if (config.metricsToken) this.loopDelay.enable();
  }

  @Get()
  @ApiExcludeEndpoint()
  async metrics(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    this.authorise(authorization);
    const head = await this.store.headPosition();
    const checkpoints = Object.entries(this.projections.checkpoints());
    const webhooks = readWebhooks(this.db);
    const standings = webhooks.map(({ webhookId, createdPosition }) => ({ webhookId, standing: this.deliveries.standing(webhookId, createdPosition) }));
    // The histogram holds the time between samples; the delay is what exceeds their interval.
    const delay = (nanos: number) => Math.max(0, nanos / 1e6 - LOOP_SAMPLE_MS) / 1000;
    const loop = { p99: delay(this.loopDelay.percentile(99)), max: delay(this.loopDelay.max) };
    this.loopDelay.reset();
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return [
      metric('reclaim_event_store_head_position', 'gauge', 'Global position of the newest event in the log.', [{ value: Number(head) }]),
      metric('reclaim_projection_lag_events', 'gauge', 'Positions of the log a read model has not processed yet.',
        checkpoints.map(([projector, position]) => ({ labels: { projector }, value: Number(head - position) }))),
      metric('reclaim_queue_tickets', 'gauge', 'Tickets in each queue.',
        Object.entries(queueCounts(this.db)).map(([queue, count]) => ({ labels: { queue }, value: count }))),
      metric('reclaim_webhook_enabled', 'gauge', '1 while a webhook sends, 0 once it is disabled.',
        webhooks.map((webhook) => ({ labels: { webhook: webhook.webhookId }, value: webhook.enabled ? 1 : 0 }))),
      metric('reclaim_webhook_failing_attempts', 'gauge', 'Failed attempts in a row at the event a webhook has tried most often.',
        standings.map(({ webhookId, standing }) => ({ labels: { webhook: webhookId }, value: standing.failingAttempts }))),
      metric('reclaim_webhook_held_tickets', 'gauge', 'Tickets a webhook holds back as their receiver refused an event of theirs, while the others go on.',
        standings.map(({ webhookId, standing }) => ({ labels: { webhook: webhookId }, value: standing.held.length }))),
      metric('reclaim_http_requests_total', 'counter', 'Answered requests since the server started, by method, route and status.', this.http.requestCounts()),
      metric('reclaim_http_request_duration_seconds', 'histogram', 'How long requests took to answer.', this.http.durations()),
      metric('reclaim_event_loop_delay_seconds', 'gauge', 'Delay of the event loop since the previous scrape.', [
        { labels: { quantile: '0.99' }, value: loop.p99 },
        { labels: { quantile: '1' }, value: loop.max },
      ]),
      metric('process_resident_memory_bytes', 'gauge', 'Resident memory of the server process.', [{ value: process.memoryUsage.rss() }]),
    ].join('\n') + '\n';
  }

  private authorise(authorization: string | undefined): void {
    const expected = this.config.metricsToken;
    if (!expected) throw new ProblemError(problem(404, 'Metrics are off: set RECLAIM_METRICS_TOKEN, and scrape with Authorization: Bearer <that token>.'));
    const token = bearerToken(authorization);
    // Compared as digests, in constant time, so the answer's timing tells nothing of the token.
    const digest = (text: string) => createHash('sha256').update(text).digest();
    if (!token || !timingSafeEqual(digest(token), digest(expected))) {
      throw new ProblemError(problem(401, 'Send Authorization: Bearer <RECLAIM_METRICS_TOKEN>.'), { 'www-authenticate': 'Bearer' });
    }
  }
}
