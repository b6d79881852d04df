import 'reflect-metadata';
import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SECRET_BOX } from '@reclaim/recovery';
import { ProjectionRunner, READ_MODEL_DB } from '@reclaim/projections';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { AppModule } from './app.module';
import type { AppConfig } from './config';
import { CredentialsService } from './auth/credentials.service';
import { corsOptions } from './http/cors';
import { registerCreatedLocation } from './http/created-location';
import { registerIdempotency } from './http/idempotency';
import { answerClientError } from './http/client-error';
import { BODY_LIMIT, parseJsonBody } from './http/json-body';
import { ShutdownFlag } from './http/shutdown-flag';
import { fieldProblem, fieldsProblem, PRIVATE_ANSWER, sendProblem } from './http/problem';
import { registerReadYourWrites } from './http/read-your-writes';
import { fieldsWithControlCharacters, nestedDeeperThan, trimStrings, validationPipe } from './http/validation';
import { UndeclaredInputInterceptor } from './http/undeclared-input.interceptor';
import { serveOpenApi } from './openapi/document';
import { HttpMetrics } from './metrics/http-metrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Levels of objects and arrays a body may nest; the deepest request of the API has two. */
const MAX_BODY_NESTING = 8;

/** Builds the HTTP app for a config; main.ts and the end-to-end tests both start it this way. */
export async function createApp(config: AppConfig, logger: LoggerService = new ConsoleLogger({ json: true })): Promise<NestFastifyApplication> {
  const http = new Logger('Http');
  // Answers counted by route and status; set once the app exists (no request comes before).
  let metrics: HttpMetrics | undefined;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    // The client's address (for the per-address limits) is read from X-Forwarded-For only as
    // sent by a trusted proxy.
    trustProxy: config.trustedProxies.length ? config.trustedProxies : false,
    // A client that sends its request slowly, or never finishes it, is cut off (408) rather than
    // holding a connection for ever; the check runs every second. An SSE stream is a long answer,
    // not a long request, so it is not cut. (Node honours the timeout only when the server is
    // created with it; Fastify then sets the same value again.)
    requestTimeout: config.requestTimeoutMs,
    http: { requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: 1000 },
    // No request, and so no hook, exists for these: the log line and the count say only what was
    // answered (no method was read).
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
      const status = answerClientError(error, socket);
      if (status === undefined) return;
      http.log({ route: 'unparsed', status, code: error.code });
      metrics?.observe('unknown', 'unparsed', status, 0);
    },
    // A caller's X-Request-Id is kept when it is sane, so logs can be joined across systems.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logger: false,
    // Errors Fastify meets while routing answer as problems too, and are logged, though no route
    // and so no hook runs for them; the path is not echoed, as it may hold anything.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const answer = routingProblem(error.code);
      http.log(requestLine(request, 'unmatched', answer.status, 0));
      metrics?.observe(request.method, 'unmatched', answer.status, 0);
      return sendProblem(reply, answer, { 'x-request-id': request.id, ...PRIVATE_ANSWER });
    },
  });
  // Bodies are JSON only (a form body is refused below), read by parseJsonBody; Nest takes a
  // parser's answer from the promise it returns.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forConfig(config), adapter, { logger, bufferLogs: false, bodyParser: false });
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT }, async (_request: unknown, body: Buffer) => parseJsonBody(body));
  const fastify = app.getHttpAdapter().getInstance();

  // Bodies are JSON; anything else is refused before it is parsed.
  fastify.addHook('onRequest', async (request, reply) => {
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
      // No bytes are no body, whatever type they are declared as (many clients send a
      // Content-Type on every request): Fastify then parses nothing, as without the header.
      delete request.headers['content-type'];
      return;
    }
    const [type, ...parameters] = (request.headers['content-type'] ?? '').split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'application/json') {
      return sendProblem(reply, fieldProblem(415, 'Send the body as JSON, with Content-Type: application/json.', 'Content-Type', 'must be application/json'));
    }
    // JSON is UTF-8 (RFC 8259); a body declared in another charset would be read as what it is not.
    const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/^"(.*)"$/, '$1');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return sendProblem(reply, fieldProblem(415, 'JSON is read as UTF-8: send it so, with Content-Type: application/json and no other charset.', 'Content-Type', 'must not name a charset other than utf-8'));
    }
    // Bodies are small (64 KiB) and read as they come; a compressed one would be read as bytes.
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
      return sendProblem(reply, fieldProblem(415, 'Send the body uncompressed: it is not decoded.', 'Content-Encoding', 'must be identity, or left out'));
    }
  });
  // Every body is one JSON object: an array or a bare value is refused as a whole, not field by
  // field (an array's items would otherwise be reported as unknown fields "0", "1", ...). A body
  // nested too deeply, or holding control characters anywhere, is refused; strings are then trimmed.
  fastify.addHook('preValidation', async (request, reply) => {
    const body = request.body;
    if (body === undefined) return;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendProblem(reply, fieldProblem(400, 'The body must be a JSON object.', 'body', 'must be a JSON object'));
    }
    if (nestedDeeperThan(body, MAX_BODY_NESTING)) {
      return sendProblem(reply, fieldProblem(400, `The body nests deeper than ${MAX_BODY_NESTING} levels.`, 'body', `must not nest more than ${MAX_BODY_NESTING} levels deep`));
    }
    const fields = fieldsWithControlCharacters(body);
    if (fields.length) {
      return sendProblem(reply, fieldsProblem(fields.map((field) => ({ field, message: `${field} must not contain control characters` }))));
    }
    request.body = trimStrings(body);
  });
  const shutdown = app.get(ShutdownFlag);
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // A route that sets its own Cache-Control keeps it.
    for (const [name, value] of Object.entries(PRIVATE_ANSWER)) if (!reply.hasHeader(name)) reply.header(name, value);
    if (shutdown.started) reply.header('connection', 'close');
  });
  // Each request is logged when its answer closes: sent, or not, when the client went first (499,
  // nginx's "client closed request"; no onResponse hook runs for such a request).
  metrics = app.get(HttpMetrics);
  fastify.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      const status = reply.raw.writableFinished ? reply.statusCode : 499;
      const route = request.routeOptions.url ?? 'unmatched';
      http.log(requestLine(request, route, status, Math.round(reply.elapsedTime)));
      metrics?.observe(request.method, route, status, reply.elapsedTime);
    });
  });
  registerIdempotency(fastify, app.get(READ_MODEL_DB), app.get(SECRET_BOX));
  registerCreatedLocation(fastify);
  registerReadYourWrites(fastify, app.get(ProjectionRunner));

  app.useGlobalPipes(validationPipe());
  app.useGlobalInterceptors(new UndeclaredInputInterceptor());
  app.enableShutdownHooks();
  // Pages on another origin call the API from a browser only where the operator named it.
  if (config.corsOrigins.length) app.enableCors(corsOptions(config.corsOrigins));
  serveOpenApi(app);
  await app.init();
  if (!config.adminToken && !app.get(CredentialsService).hasStaff()) {
    new Logger('Setup').warn(
      'No staff exist and RECLAIM_ADMIN_TOKEN is not set. To create the first admin: start with RECLAIM_ADMIN_TOKEN=<32+ random characters>, ' +
        'then POST /v1/staff {"name": "...", "role": "admin"} with Authorization: Bearer <that token>.',
    );
  }
  return app;
}

/** One log line a request: ids, route and outcome; never a body, a token or a query string. */
function requestLine(request: FastifyRequest, route: string, status: number, ms: number) {
  const principal = request.principal;
  return {
    requestId: request.id,
    method: request.method,
    route,
    status,
    ms,
    principal: principal?.kind === 'staff' ? `staff:${principal.id}` : principal?.kind === 'requester' ? `requester:${principal.ticketId}` : principal?.kind,
  };
}

/** Fastify refuses a path before routing: a part longer than its limit, or bad percent-encoding. */
function routingProblem(code: string) {
  return code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? fieldProblem(414, 'A part of the path is longer than 100 characters.', 'path', 'must not have a part longer than 100 characters')
    : fieldProblem(400, 'The path is not a valid URL.', 'path', 'must be a valid, percent-encoded URL path');
}
