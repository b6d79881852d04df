import { fieldProblem, ProblemError } from './problem';

describe('ProblemError', () => {
  it('is an Error that carries its problem, without a stack trace, and leaves the stack limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const error = new ProblemError(fieldProblem(400, 'Invalid limit.', 'limit', 'must be at most 100'), { 'retry-after': '1' });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('Invalid limit.');
    expect(error.problem.errors).toEqual([{ field: 'limit', message: 'limit must be at most 100' }]);
    expect(error.headers).toEqual({ 'retry-after': '1' });
    expect(error.stack).toBe('Error: Invalid limit.');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('a fault').stack).toMatch(/\n\s+at /);
  });
});
