import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { EventFeeds, internalTypesFor, PUBLIC_EVENT_TYPES, STREAMS_PER_CREDENTIAL, streamEvents, toCloudEvent } from '@reclaim/integrations';
import { Transform } from 'class-transformer';
import { IsOptional, Matches } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access, INTEGRATES } from '../auth/access.decorator';
import { bearerToken } from '../auth/access.guard';
import { CredentialsService } from '../auth/credentials.service';
import { POSITION } from '../http/patterns';
import { fieldProblem, problem, ProblemError } from '../http/problem';
import { PageLimit } from '../http/page-limit';
import { PublicEventTypes } from '../http/public-event-types';
import { schemaRef } from '../openapi/answer-schemas';
import { Refuses } from '../openapi/documented';

/** Events a page as JSON holds: unless told, and at most. */
const PAGE_DEFAULT = 100;
const PAGE_MOST = 1000;

class EventsQuery {
  @ApiPropertyOptional({ description: 'Send events after this position (Last-Event-ID takes precedence).' })
  @IsOptional()
  @Matches(POSITION, { message: 'after must be a position: a decimal number' })
  after?: string;

  @ApiPropertyOptional({ description: `Comma-separated public types: ${PUBLIC_EVENT_TYPES.join(', ')}` })
  @IsOptional()
  // `types=a,b` and `types=a&types=b` both name two types.
  @Transform(({ value }) => [value].flat().flatMap((list) => (typeof list === 'string' ? list.split(',').map((t) => t.trim()).filter(Boolean) : [list])))
  @PublicEventTypes()
  types?: string[];

  /** Only for a page as JSON: a stream has no pages. */
  @PageLimit(PAGE_MOST, PAGE_DEFAULT)
  limit?: number;
}

/**
 * A page as JSON is asked for by `Accept: application/json` with no `text/event-stream`: what an
 * EventSource, curl (which accepts anything) and every client of the stream so far send gets the
 * stream as before.
 */
const wantsPage = (accept: string | undefined) => /application\/json/i.test(accept ?? '') && !/text\/event-stream/i.test(accept ?? '');

@ApiTags('integrations')
@Controller('v1/events')
export class EventsController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly feeds: EventFeeds,
    private readonly credentials: CredentialsService,
  ) {}

  @Get()
  @Access({ roles: INTEGRATES })
  @ApiOperation({
    summary: 'Server-Sent Events of public CloudEvents: catch-up, then live; id = position. With `Accept: application/json`, one page of them as JSON (addition)',
    description: `A page (\`Accept: application/json\`, and not \`text/event-stream\`) holds the next events after \`after\` (or \`Last-Event-ID\`), at most \`limit\` (${PAGE_DEFAULT} unless told, at most ${PAGE_MOST}), each with its position; \`next\` is the \`after\` of the page that follows, while the log holds more. For a reconciliation, a batch job, or a client that cannot hold a stream open: ask again with the last position to go on.`,
  })
  @ApiResponse({
    status: 200,
    description: 'Server-Sent Events: each `id:` a position, each `event:` the type, each `data:` a `CloudEvent` (components.schemas). Or, as JSON, one page of them.',
    content: { 'text/event-stream': { schema: { type: 'string' } }, 'application/json': { schema: schemaRef('EventPage') } },
  })
  @Refuses(429)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The `id:` of the last event received: the feed resumes after it (instead of `after`).' })
  async feed(@Query() query: EventsQuery, @Headers('last-event-id') lastEventId: string | undefined, @Headers('accept') accept: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const page = wantsPage(accept);
    if (query.limit !== undefined && !page) {
      throw new ProblemError(fieldProblem(400, 'limit is for a page as JSON; a stream has no pages.', 'limit', 'must be left out, unless the request has Accept: application/json'));
    }
    const fromHeader = lastEventId?.trim();
    const resumeFrom = fromHeader || query.after;
    if (resumeFrom !== undefined && !POSITION.test(resumeFrom)) {
      throw new ProblemError(fieldProblem(400, 'Last-Event-ID must be a position.', 'Last-Event-ID', 'must be a decimal number'));
    }
    const after = resumeFrom === undefined ? undefined : BigInt(resumeFrom);
    // A number no event has would start the feed nowhere: past the end it would wait, silently
    // skipping every event until the log reached it; on EventStoreDB the read itself fails.
    if (after && !(await this.store.eventAt(after))) {
      const field = fromHeader ? 'Last-Event-ID' : 'after';
      throw new ProblemError(fieldProblem(400, `${field} is not the position of an event in this log.`, field, 'must be an event\'s position (an id this feed sent), or 0 for the start'));
    }
    // The answer depends on Accept: a cache or a proxy keeping one must not serve it for the other.
    const vary = { vary: 'Accept' };
    if (page) return reply.headers(vary).send(await this.page(after ?? 0n, query.types, query.limit ?? PAGE_DEFAULT));
    const release = this.feeds.open(request.principal?.kind === 'staff' ? request.principal.id : '');
    if (!release) {
      throw new ProblemError(problem(429, `At most ${STREAMS_PER_CREDENTIAL} event streams may be open at once per credential; close one first.`), { 'retry-after': '5' });
    }
    reply.hijack();
    try {
      await streamEvents(this.store, reply.raw, {
        after,
        types: query.types,
        signal: this.feeds.signal,
        // A stream ends once its token is replaced, or its holder deactivated or given another role.
        allowed: this.credentials.stillValid(bearerToken(request.headers.authorization)!, INTEGRATES),
        headers: { 'x-request-id': request.id, ...vary },
      });
    } finally {
      release();
    }
  }

  /** The events after `after` of the types asked for, each with its position, and the next page's `after` while more follow. */
  private async page(after: bigint, types: string[] | undefined, limit: number) {
    const read = await this.store.readAll({ after, maxCount: limit, filter: { eventTypes: internalTypesFor(types) } });
    // The read holds only the internal types behind the public ones asked for; the mapping may still leave one out.
    const events = read.flatMap((event) => {
      const cloudEvent = toCloudEvent(event);
      return cloudEvent ? [{ position: event.position.toString(), event: cloudEvent }] : [];
    });
    return { events, ...(read.length === limit && { next: read[read.length - 1]!.position.toString() }) };
  }
}
