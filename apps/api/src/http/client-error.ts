import type { Socket } from 'node:net';
import { fieldProblem, PRIVATE_ANSWER, problem, type Problem } from './problem';

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a request not sent in full in
 * time, headers too large, bytes that are not HTTP/1.1) is answered as a problem too, in place of
 * Fastify's own plain JSON, and the connection is closed: after such an error, where the next
 * request would start is not known. Answers the status it sent, for the log.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): number | undefined {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return undefined;
  const body = clientErrorProblem(error.code);
  const answered = socket.writable;
  if (answered) {
    const json = JSON.stringify(body);
    const headers = { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(json), ...PRIVATE_ANSWER, connection: 'close' };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(`HTTP/1.1 ${body.status} ${body.title}\r\n${head}\r\n${json}`);
  }
  socket.destroy();
  return answered ? body.status : undefined;
}

function clientErrorProblem(code: string | undefined): Problem {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return problem(408, 'The request was not sent in full in the time a request may take (RECLAIM_REQUEST_TIMEOUT).');
  if (code === 'HPE_HEADER_OVERFLOW') return fieldProblem(431, 'The request headers are larger than 16 KiB.', 'headers', 'must be at most 16 KiB in all');
  return fieldProblem(400, 'The request is not well-formed HTTP/1.1.', 'request', 'must be well-formed HTTP/1.1 (one Content-Length or Transfer-Encoding, headers and body as declared)');
}
