import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * What a browser page on another origin may do: the API's methods, the request headers its
 * routes read, and the answer headers a client acts on. Tokens travel in Authorization, never
 * in cookies, so no credentials are allowed. A preflight is answered by the CORS plugin, before
 * any route or access check; the request that follows is checked as any other.
 */
export function corsOptions(origins: string[]): Parameters<NestFastifyApplication['enableCors']>[0] {
  return {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'Last-Event-ID', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Location', 'Retry-After', 'X-Request-Id', 'Idempotent-Replayed', 'WWW-Authenticate'],
    // A browser asks again at most every ten minutes for the same request.
    maxAge: 600,
    // Any OPTIONS is answered as a preflight (204), not refused as text/plain for lacking its headers.
    strictPreflight: false,
  };
}
