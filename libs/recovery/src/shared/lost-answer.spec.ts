import { SecretBox } from '@reclaim/credentials';
import { randomBytes } from 'node:crypto';
import { SecretReplaced } from './errors';
import { reissueOf, requireIssuedBy, showAgain } from './lost-answer';

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

describe('showAgain', () => {
  it('opens a secret sealed with the key in force, and refuses one sealed with a key replaced since', () => {
    const box = new SecretBox(randomBytes(32));
    expect(showAgain(box, box.seal('whsec_kept'), 'webhook secret')).toBe('whsec_kept');
    const lost = new SecretBox(randomBytes(32)).seal('whsec_kept');
    expect(() => showAgain(box, lost, 'webhook secret')).toThrow(new SecretReplaced('webhook secret', 'key'));
    expect(new SecretReplaced('webhook secret', 'key').message).toBe('the webhook secret this request issued was sealed with a secret key replaced since');
  });
});
