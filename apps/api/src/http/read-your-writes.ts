import type { ProjectionRunner } from '@reclaim/projections';
import type { FastifyInstance } from 'fastify';
import { POSITION } from './patterns';
import { fieldProblem, problem, sendProblem } from './problem';

const WAIT_MS = 5000;

/**
 * `?minPosition=` on any GET: answer only once every read model has processed that position, or
 * 503 after a few seconds. The parameter is taken off the query before validation.
 */
export function registerReadYourWrites(app: FastifyInstance, runner: ProjectionRunner): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET') return;
    const query = request.query as Record<string, unknown> | undefined;
    if (!query || query.minPosition === undefined) return;
    const raw = query.minPosition;
    delete query.minPosition;
    if (Array.isArray(raw)) {
      return sendProblem(reply, fieldProblem(400, 'minPosition must be given once.', 'minPosition', 'must be given once'));
    }
    if (typeof raw !== 'string' || !POSITION.test(raw)) {
      return sendProblem(reply, fieldProblem(400, 'minPosition must be a position: a decimal number of at most 20 digits.', 'minPosition', 'must be a decimal number of at most 20 digits'));
    }
    if (!(await runner.waitFor(BigInt(raw), WAIT_MS))) {
      return sendProblem(reply, problem(503, `The read models have not reached position ${raw} yet; try again.`), { 'retry-after': '1' });
    }
  });
}
