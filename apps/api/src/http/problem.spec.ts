import { fieldProblem, fieldsProblem, ProblemError } from './problem';

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

describe('fieldsProblem', () => {
  it('names each field once in its detail, however many of its rules failed, and keeps every message', () => {
    const errors = [
      { field: 'username', message: 'username must be at most 100 characters' },
      { field: 'username', message: 'username must start with a letter or digit' },
      { field: 'reason', message: 'reason must be one of lost-email, other' },
    ];
    expect(fieldsProblem(errors)).toEqual({ type: 'https://reclaim.dev/problems/validation', title: 'Bad Request', status: 400, detail: 'Invalid username, reason.', errors });
  });
});
