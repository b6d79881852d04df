import { SecretReplaced } from './errors';
import { reissueOf, requireIssuedBy } from './lost-answer';

describe('requireIssuedBy', () => {
  const meta = { commandId: 'idem-1', actor: { kind: 'staff', id: 'admin' } } as const;

  it('takes the secret of the command itself, or of a replacement issued for it', () => {
    expect(() => requireIssuedBy(meta, 'idem-1', 'token')).not.toThrow();
    expect(() => requireIssuedBy(meta, reissueOf(meta).commandId, 'token')).not.toThrow();
  });

  it('refuses the secret of any other command, also one whose id begins with the same characters', () => {
    for (const issuer of ['idem-2', 'idem-10', 'idem-1:ticket', undefined]) {
      expect(() => requireIssuedBy(meta, issuer, 'token')).toThrow(SecretReplaced);
    }
  });
});
