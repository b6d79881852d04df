import fc from 'fast-check';
import { firstRepeatedKey } from './repeated-key';

describe('firstRepeatedKey', () => {
  it('names the first key an object gives twice, by its path', () => {
    expect(firstRepeatedKey('{"assignee":"a","assignee":"b"}')).toBe('assignee');
    expect(firstRepeatedKey('{"a":1,"b":{"c":1,"c":2}}')).toBe('b.c');
    expect(firstRepeatedKey('{"evidence":[{"k":1},{"k":1,"x":[],"k":2}]}')).toBe('evidence.1.k');
    expect(firstRepeatedKey('{"a":"\\"a\\":1","\\u0061":2}')).toBe('a');
    expect(firstRepeatedKey('{"a":1,"b":{"a":1},"c":[{"a":1},{"a":1}],"d":"a"}')).toBeUndefined();
    expect(firstRepeatedKey('\uFEFF{"x\\\\":1,"x":2}')).toBeUndefined();
  });

  it('finds nothing in any JSON that JSON.stringify writes, as it writes each key once', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => firstRepeatedKey(JSON.stringify(value)) === undefined));
  });

  it('finds a key that is added again to any object of a JSON value', () => {
    const objectWithKey = fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 });
    fc.assert(
      fc.property(objectWithKey, (object) => {
        const [key] = Object.keys(object);
        const text = JSON.stringify(object);
        // The first key again, at the end: {"k":1,...,"k":null}
        return firstRepeatedKey(`${text.slice(0, -1)},${JSON.stringify(key)}:null}`) === key;
      }),
    );
  });
});
