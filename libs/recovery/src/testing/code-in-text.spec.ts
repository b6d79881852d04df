import { codeStandsIn } from './code-in-text';

describe('codeStandsIn', () => {
  it('finds a code written as a value or a word, not digits inside a hash or an id', () => {
    for (const text of ['{"totpCode":"012345"}', '{"step":012345}', 'code 012345 refused']) expect(codeStandsIn(text, '012345')).toBe(true);
    for (const text of ['{"hash":"ab0123456c"}', '{"id":"f9012345"}', '{"n":9012345}']) expect(codeStandsIn(text, '012345')).toBe(false);
  });
});
