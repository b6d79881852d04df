import { onFile } from './on-file';

const account = { primaryEmail: 'Zoe@Example.org', emails: ['zoe@old.example.org'], packages: ['left-pad', '@zoe/tools'] };

describe('onFile', () => {
  it('says entry by entry which addresses and packages the record holds, addresses without case', () => {
    expect(
      onFile({ contactEmail: 'zoe@example.org', previousEmails: ['ZOE@OLD.EXAMPLE.ORG', 'zoe@elsewhere.org'], packages: ['@zoe/tools', 'is-odd', 'left-pad'] }, account),
    ).toEqual({ contactEmail: true, previousEmails: [true, false], packages: [true, false, true] });
  });

  it('takes a lookalike address for another one, as it is', () => {
    // A Cyrillic "о" in place of the Latin "o".
    expect(onFile({ contactEmail: 'z\u043ee@example.org', previousEmails: [], packages: [] }, account)).toEqual({ contactEmail: false, previousEmails: [], packages: [] });
  });

  it('compares package names exactly: npm names are lower case, and a scope is part of the name', () => {
    expect(onFile({ contactEmail: 'x@example.org', previousEmails: [], packages: ['Left-Pad', 'tools'] }, account).packages).toEqual([false, false]);
  });
});
