import { parseJsonBody } from './json-body';
import { ProblemError } from './problem';

const refusal = (body: Buffer) => {
  try {
    parseJsonBody(body);
  } catch (error) {
    return error instanceof ProblemError ? error.problem.errors : error;
  }
  throw new Error('the body was taken');
};

describe('parseJsonBody', () => {
  it('reads UTF-8 JSON, with or without a byte order mark', () => {
    expect(parseJsonBody(Buffer.from('{"explanation":"café ☕"}'))).toEqual({ explanation: 'café ☕' });
    expect(parseJsonBody(Buffer.from('\uFEFF{"a":1}'))).toEqual({ a: 1 });
    // No bytes is no body, as it is without Content-Type; a route that needs one names its fields.
    expect(parseJsonBody(Buffer.alloc(0))).toBeUndefined();
  });

  it('refuses, naming the body, what cannot be read as sent', () => {
    expect(refusal(Buffer.from('{"explanation":"café"}', 'latin1'))).toEqual([{ field: 'body', message: 'body must be UTF-8 text' }]);
    expect(refusal(Buffer.from('{"a":'))).toEqual([{ field: 'body', message: 'body must be valid JSON' }]);
  });

  it('refuses keys that could reach a prototype, however deep', () => {
    for (const text of ['{"__proto__":{"x":1}}', '{"a":[{"__proto__":null}]}', '{"constructor":{"prototype":{}}}']) {
      expect(refusal(Buffer.from(text))).toEqual([{ field: 'body', message: 'body must not hold a __proto__ or constructor.prototype key' }]);
    }
    expect(parseJsonBody(Buffer.from('{"constructor":"a name"}'))).toEqual({ constructor: 'a name' });
  });

  it('refuses a key given twice in one object, naming it, where JSON.parse would keep the last', () => {
    expect(refusal(Buffer.from('{"note":"ok","evidence":[{"kind":"a","kind":"b"}]}'))).toEqual([{ field: 'evidence.0.kind', message: 'evidence.0.kind must be given once' }]);
    expect(refusal(Buffer.from('{"assignee":"a","assignee":"b"}'))).toEqual([{ field: 'assignee', message: 'assignee must be given once' }]);
    expect(parseJsonBody(Buffer.from('{"a":{"b":1},"b":[{"b":2},{"b":3}]}'))).toEqual({ a: { b: 1 }, b: [{ b: 2 }, { b: 3 }] });
  });
});
