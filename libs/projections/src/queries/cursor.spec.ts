import { decodeCursor, decodeNameCursor, pageOf } from './cursor';

describe('page cursors', () => {
  it('give back the place of the page\'s last row, however far along the log it is', () => {
    for (const place of [1, 123_456_789, Number.MAX_SAFE_INTEGER - 1]) {
      const { page, next } = pageOf([{ place }, { place: place + 1 }], 1, (row) => row.place);
      expect([page, decodeCursor(next!)]).toEqual([[{ place }], place]);
    }
  });

  it('of a list in name order give back the last name, and are not taken for a place in the log', () => {
    for (const name of ['a', 'Zoe.smith-2', 's12', 'n', '😀']) {
      const { next } = pageOf([{ name }, { name: `${name}~` }], 1, (row) => row.name);
      expect([decodeNameCursor(next!), decodeCursor(next!)]).toEqual([name, undefined]);
    }
    expect(decodeNameCursor(pageOf([{ at: 12 }, { at: 13 }], 1, (row) => row.at).next!)).toBeUndefined();
    for (const made of ['', 'n', 'not a cursor', 'n"', 'n""', 'n"a"b"', 'x"a"'].map((text) => Buffer.from(text).toString('base64url'))) expect([made, decodeNameCursor(made)]).toEqual([made, undefined]);
  });

  it('are opaque: anything not made by a page decodes to nothing', () => {
    for (const made of ['', 'czE', Buffer.from('s').toString('base64url'), Buffer.from('s1x').toString('base64url'), Buffer.from(`s${'9'.repeat(19)}`).toString('base64url')]) {
      expect([made, decodeCursor(made)]).toEqual([made, made === 'czE' ? 1 : undefined]);
    }
  });
});
