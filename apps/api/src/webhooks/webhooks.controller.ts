import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { SecretBox } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { ChangeWebhookCommand, CreateWebhookCommand, DeleteWebhookCommand, deliveriesAtOnce, DeliveryLog, MOST_WEBHOOK_CONCURRENCY, MOST_WEBHOOKS, previousSecretSigns, PUBLIC_EVENT_TYPES, readWebhooks, RecordDeliveryChangeCommand, RotateWebhookSecretCommand, SetWebhookEnabledCommand, WEBHOOK_SETTINGS, WebhookDispatcher, webhookSends, WEBHOOK_STREAM_PREFIX, type WebhookRow, type WebhookSettings } from '@reclaim/integrations';
import { GetStreamHistoryQuery, ProjectionRunner, READ_MODEL_DB, type ReadModelDb } from '@reclaim/projections';
import { parseDuration, SECRET_BOX, type CommandMeta } from '@reclaim/recovery';
import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';
import { Access, INTEGRATES } from '../auth/access.decorator';
import type { FastifyReply } from 'fastify';
import { IfMatch, Meta } from '../http/command-meta.decorator';
import { HistoryPageQuery, requestedRange } from '../http/cursor-page';
import { historyOrNotFound, HistoryRoute } from '../http/history-route';
import { PageLimit } from '../http/page-limit';
import { ID, POSITION } from '../http/patterns';
import { onceApplied } from '../http/once-applied';
import { fieldProblem, problem, ProblemError } from '../http/problem';
import { PublicEventTypes } from '../http/public-event-types';
import { Answers, HEADERS, Refuses, Refusing } from '../openapi/documented';

/** A subscription's URL, types and concurrency, as created and as replaced. */
class WebhookDto {
  @ApiProperty({ example: 'https://platform.example.org/hooks/reclaim' })
  @IsString()
  @MaxLength(2000)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'url must be an http or https URL' })
  url!: string;

  @ApiPropertyOptional({ type: [String], enum: PUBLIC_EVENT_TYPES, description: 'Only these types; all public types when omitted.' })
  @IsOptional()
  @PublicEventTypes()
  types?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: MOST_WEBHOOK_CONCURRENCY, description: "Deliveries under way at once, each of another ticket (1: one event at a time, for a receiver that cannot take more); the server's `RECLAIM_WEBHOOK_CONCURRENCY` when omitted." })
  @IsOptional()
  @Min(1, { message: `concurrency must be a whole number from 1 to ${MOST_WEBHOOK_CONCURRENCY}` })
  @Max(MOST_WEBHOOK_CONCURRENCY, { message: `concurrency must be a whole number from 1 to ${MOST_WEBHOOK_CONCURRENCY}` })
  @IsInt({ message: `concurrency must be a whole number from 1 to ${MOST_WEBHOOK_CONCURRENCY}` })
  concurrency?: number;
}

/** The setup a body asks for: omitted types are every public type (stored as none), an omitted concurrency the server's. */
const setupOf = ({ url, types, concurrency }: WebhookDto) => ({ url, types: types ?? [], concurrency: concurrency ?? null });

class WebhookIdParam {
  @ApiProperty({ description: 'The webhook\'s id.' })
  @IsString()
  @Matches(ID, { message: 'id must be a webhook id' })
  id!: string;
}

class HeldTicketParam extends WebhookIdParam {
  @ApiProperty({ description: 'A ticket the webhook holds back (`heldTickets`).' })
  @IsString()
  @Matches(ID, { message: 'ticketId must be a ticket id' })
  ticketId!: string;
}

class RedeliverDto {
  @ApiProperty({ description: 'Position of the event to send again.' })
  @IsString()
  @Matches(POSITION, { message: 'position must be a decimal number' })
  position!: string;
}

/** How long a rotated secret may go on signing: long enough to roll out the new one, no longer. */
const LONGEST_OVERLAP_MS = 7 * 86_400_000;

class RotateSecretDto {
  @ApiPropertyOptional({ description: 'How long the previous secret still signs deliveries, beside the new one: 0s (not at all, for a leaked secret) to 7d; 24h when omitted.', example: '24h' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,6}[smhd]$/, { message: 'previousSecretValidFor must be a duration such as 0s, 30m, 24h or 7d' })
  previousSecretValidFor?: string;
}

class DeliveriesQuery {
  @PageLimit(500, 100)
  limit?: number;

  @ApiPropertyOptional({ description: "Only the attempts at this ticket's events (addition): why did this one's not arrive?" })
  @IsOptional()
  @Matches(ID, { message: 'ticketId must be a ticket id' })
  ticketId?: string;

  @ApiPropertyOptional({ description: 'Only the attempts at the event at this position (addition).' })
  @IsOptional()
  @Matches(POSITION, { message: 'position must be a position: a decimal number' })
  position?: string;
}

@ApiTags('integrations')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly log: DeliveryLog,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDb,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionRunner,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
  ) {}

  @Post()
  @HttpCode(201)
  @Access({ roles: INTEGRATES })
  @ApiOperation({
    summary: 'Subscribe a URL to the events recorded from now on; the secret is shown once',
    description: 'Each delivery POSTs one `CloudEvent` (components.schemas) as JSON, signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).',
  })
  @Answers(201, 'WebhookCreated', { Location: HEADERS.Location })
  @Refusing(409, `\`webhook-limit\`: ${MOST_WEBHOOKS} subscriptions exist already; delete one no longer used. Or a conflict named by \`type\` (such as \`concurrent-change\`: send it again).`)
  async create(@Body() body: WebhookDto, @Meta() meta: CommandMeta) {
    const { url, types, concurrency } = setupOf(body);
    // Answered once this server's read models hold it: the next create counts it.
    const created = await onceApplied(this.projections, await this.commands.execute(new CreateWebhookCommand(url, types, concurrency, meta)));
    return { id: created.id, secret: created.secret, url, types: shownTypes(types), concurrency: deliveriesAtOnce(concurrency, this.settings), position: created.position };
  }

  @Get()
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: 'Every subscription, with its progress' })
  @Answers(200, 'WebhookList')
  list() {
    return { webhooks: readWebhooks(this.db).map((row) => this.describe(row)) };
  }

  @Get(':id')
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: 'One subscription, with its progress (never its secret)' })
  @Answers(200, 'Webhook', { ETag: HEADERS.ETag })
  @Refuses(404)
  get(@Param() { id }: WebhookIdParam, @Res({ passthrough: true }) reply: FastifyReply) {
    const webhook = this.find(id);
    reply.header('etag', `"${webhook.revision}"`);
    return this.describe(webhook);
  }

  // A receiver that moves, or wants other events, keeps its place in the log: a new subscription
  // would miss the events recorded before it, and those its old one had not delivered yet.
  @Put(':id')
  @Access({ roles: INTEGRATES })
  @ApiOperation({
    summary: "Replace a subscription's URL, types and concurrency (addition), as a create gives them: from its checkpoint on, so no event is missed; its secret, owner, progress and held tickets stay",
    description: "A new URL is tried at once, without waiting out the retries the old one earned. Types dropped are not sent from the checkpoint on (a held ticket with none left goes back to log order); types added are sent for the events after the checkpoint. With `If-Match` of the `revision` last read, one changed since (by another integrator, say) is refused (412) rather than overwritten.",
  })
  @Answers(200, 'WebhookReplaced')
  @Refuses(404)
  async replace(@Param() { id }: WebhookIdParam, @Body() body: WebhookDto, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    const before = this.find(id);
    const { position } = await onceApplied(this.projections, await this.commands.execute(new ChangeWebhookCommand(id, setupOf(body), meta, ifMatch)));
    if (body.url !== before.url) this.log.clearFailures(id);
    return { ...this.describe(this.find(id)), position };
  }

  @Delete(':id')
  @HttpCode(200)
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: 'End a subscription for good: it sends nothing more and is gone from the API (disable it to pause instead)' })
  @Answers(200, 'WebhookDeleted')
  @Refuses(404)
  async delete(@Param() { id }: WebhookIdParam, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return onceApplied(this.projections, await this.commands.execute(new DeleteWebhookCommand(id, meta, ifMatch)));
  }

  // Where recovery events go is worth an audit trail: who pointed a subscription at a new URL, gave
  // it a new secret, disabled or deleted it, and when. Kept after a deletion, as the log keeps it.
  // Not to auditors and supervisors, who read no webhooks: a URL may carry an integrator's credentials.
  @HistoryRoute(':id/history', INTEGRATES, "Every event of a subscription, in order, with actor and time (addition): created, changed, secret replaced, a redelivery asked for, a held ticket given up, disabled, enabled, deleted; never a secret; also after its deletion; `limit` and `after` page it")
  async history(@Param() { id }: WebhookIdParam, @Query() query: HistoryPageQuery) {
    return historyOrNotFound(this.queries, new GetStreamHistoryQuery(`${WEBHOOK_STREAM_PREFIX}${id}`, requestedRange(query)), 'webhook');
  }

  @Get(':id/deliveries')
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: "Delivery attempts, newest first: status code, time and error; of one ticket's events, or of one event, where asked" })
  @Answers(200, 'Deliveries')
  @Refuses(404)
  deliveries(@Param() { id }: WebhookIdParam, @Query() { limit, ticketId, position }: DeliveriesQuery) {
    this.find(id);
    return { deliveries: this.log.deliveries(id, limit ?? 100, { ticketId, position: position === undefined ? undefined : BigInt(position) }) };
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: 'Send one event again, out of turn' })
  @Answers(202, 'Redelivery')
  @Refuses(404)
  async redeliver(@Param() { id }: WebhookIdParam, @Body() body: RedeliverDto, @Meta() meta: CommandMeta) {
    const webhook = this.find(id);
    // Checked now, so that the answer says whether anything will be sent.
    const event = await this.store.eventAt(BigInt(body.position));
    if (!event || !webhookSends(webhook, event)) {
      throw new ProblemError(fieldProblem(400, 'position is not the position of an event this webhook sends.', 'position', 'must be the position of an event of a type this webhook sends'));
    }
    this.log.requestRedelivery(id, event.position);
    await this.commands.execute(new RecordDeliveryChangeCommand(id, { type: 'WebhookRedeliveryRequested', data: { position: event.position.toString() } }, meta));
    return { id, position: event.position.toString(), queued: true };
  }

  @Post(':id/ping')
  @HttpCode(200)
  @Access({ roles: INTEGRATES })
  @ApiOperation({
    summary: 'Send a ping now, signed as deliveries are, and answer what the receiver said (also while disabled; the checkpoint and the log of attempts stay as they are)',
    description: 'The body is a `CloudEvent` of type `recovery.webhook.ping.v1` (`WebhookPingV1`), an event of no ticket: `subject` and `data.webhookId` are the webhook\'s id.',
  })
  @Answers(200, 'WebhookPing')
  @Refuses(404)
  async ping(@Param() { id }: WebhookIdParam) {
    const { eventId, statusCode, error, durationMs } = await this.dispatcher.ping(this.find(id));
    return { id, eventId, delivered: error === null, statusCode, error, durationMs };
  }

  // For a receiver that will never take a ticket's events (a bug it cannot mend soon): held, they
  // take one of the places to hold a ticket for ever, and once every place is taken, everything waits.
  @Delete(':id/held/:ticketId')
  @HttpCode(200)
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: "Give up a held ticket's events up to the checkpoint: the ticket goes back to log order, and those events are not sent (redeliver any by position)" })
  @Answers(200, 'HeldTicketSkipped')
  @Refuses(404)
  async skipHeld(@Param() { id, ticketId }: HeldTicketParam, @Meta() meta: CommandMeta) {
    this.find(id);
    const skipped = this.log.skipHeld(id, ticketId);
    if (!skipped) throw new ProblemError(problem(404, 'The webhook does not hold that ticket back.'));
    const [after, upTo] = [skipped.after.toString(), skipped.upTo.toString()];
    await this.commands.execute(new RecordDeliveryChangeCommand(id, { type: 'WebhookHeldTicketSkipped', data: { ticketId, after, upTo } }, meta));
    return { id, ticketId, skippedAfter: after, skippedUpTo: upTo };
  }

  @Post(':id/secret')
  @HttpCode(201)
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: 'A new signing secret, shown once; the previous one also signs for a while (24h unless told)' })
  @Answers(201, 'WebhookSecret')
  @Refuses(404)
  async rotateSecret(@Param() { id }: WebhookIdParam, @Body() body: RotateSecretDto, @Meta() meta: CommandMeta) {
    const overlap = body.previousSecretValidFor ?? '24h';
    const overlapMs = /^0+[smhd]$/.test(overlap) ? 0 : parseDuration(overlap);
    if (overlapMs > LONGEST_OVERLAP_MS) {
      throw new ProblemError(fieldProblem(400, 'Invalid previousSecretValidFor.', 'previousSecretValidFor', 'must be at most 7d'));
    }
    const rotated = await onceApplied(this.projections, await this.commands.execute(new RotateWebhookSecretCommand(id, overlapMs, meta)));
    // A new secret is often what ends the failures (a receiver that no longer had the old one, a
    // secret key replaced): the next delivery goes now, not after the wait its failures earned.
    this.log.clearFailures(id);
    return rotated;
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: 'Enable again, e.g. after it was disabled for failing' })
  @Answers(200, 'WebhookEnabled')
  @Refuses(404)
  async enable(@Param() { id }: WebhookIdParam, @Meta() meta: CommandMeta) {
    const result = await this.commands.execute(new SetWebhookEnabledCommand(id, true, '', meta));
    this.log.clearFailures(id);
    return result;
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: 'Stop deliveries; they resume from the checkpoint when enabled' })
  @Answers(200, 'WebhookEnabled')
  @Refuses(404)
  async disable(@Param() { id }: WebhookIdParam, @Meta() meta: CommandMeta) {
    return onceApplied(this.projections, await this.commands.execute(new SetWebhookEnabledCommand(id, false, 'disabled by hand', meta)));
  }

  private find(id: string): WebhookRow {
    const [row] = readWebhooks(this.db, id);
    if (!row) throw new ProblemError(problem(404, 'The webhook was not found.'));
    return row;
  }

  private describe(row: WebhookRow) {
    const standing = this.log.standing(row.webhookId, row.createdPosition);
    return {
      id: row.webhookId,
      revision: row.revision.toString(),
      url: row.url,
      types: shownTypes(row.types),
      concurrency: deliveriesAtOnce(row.concurrency, this.settings),
      enabled: row.enabled,
      disabledReason: row.disabledReason,
      ownerId: row.ownerId,
      createdAt: row.createdAt,
      // While a rotated secret still signs, when it stops.
      previousSecretValidUntil: previousSecretSigns(row) ? row.previousValidUntil : null,
      // Sealed with a secret key lost and replaced since: it sends nothing until given a new one.
      secretLost: this.secrets.tryOpen(row.sealedSecret) === undefined,
      deliveredUpTo: standing.deliveredUpTo.toString(),
      failingAttempts: standing.failingAttempts,
      nextAttemptAt: shownTime(standing.nextAttemptAt),
      heldTickets: standing.held.map(({ ticketId, attempts, nextAttemptAt, heldAt }) => ({
        ticketId,
        heldSince: shownTime(heldAt),
        failingAttempts: attempts,
        nextAttemptAt: shownTime(nextAttemptAt),
        lastError: this.log.lastErrorOf(row.webhookId, ticketId),
      })),
    };
  }
}

/**
 * A subscription to every public type is stored with an empty list and shown as `null`, which a
 * create also reads as every type; an empty list is what a create refuses.
 */
const shownTypes = (types: string[]) => (types.length ? types : null);

/** A time kept as milliseconds since the epoch, where 0 or none means none. */
const shownTime = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);
