import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { generateSync } from 'otplib';
import { attemptAllowed } from './attempt-limits';
import { generateRecoveryCodes, hashRecoveryCodes, importedRecoveryCodes, isBcryptHash, matchRecoveryCode } from './recovery-codes';
import { SecretBox } from './secret-box';
import { checkTotp, newTotpSecret } from './totp';
import { newToken, sameSecret } from './tokens';

describe('recovery codes', () => {
  it('generates 8 distinct codes of 16 lowercase hex characters', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(8);
    for (const code of codes) expect(code).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(codes).size).toBe(8);
  });

  it('stores bcrypt hashes at the configured cost, never the codes', async () => {
    const codes = generateRecoveryCodes();
    const stored = await hashRecoveryCodes(codes, 5);
    expect(JSON.stringify(stored)).not.toContain(codes[0]);
    expect(stored[0]!.hash).toMatch(/^\$2b\$05\$/);
    expect(isBcryptHash(stored[0]!.hash)).toBe(true);
  });

  it('finds the right code with at most one bcrypt comparison', async () => {
    const codes = generateRecoveryCodes();
    const stored = await hashRecoveryCodes(codes, 4);
    const compare = jest.spyOn(bcrypt, 'compare');
    try {
      expect(await matchRecoveryCode(codes[5]!, stored)).toBe('c6');
      expect(compare.mock.calls.length).toBeLessThanOrEqual(1);
      compare.mockClear();
      expect(await matchRecoveryCode(` ${codes[2]!.toUpperCase()} `, stored)).toBe('c3');
      compare.mockClear();
      // Written down in groups and read back: the same code.
      const grouped = codes[4]!.toUpperCase().replace(/(.{4})(?!$)/g, '$1-');
      expect(await matchRecoveryCode(grouped, stored)).toBe('c5');
      expect(await matchRecoveryCode(codes[6]!.replace(/(.{4})(?!$)/g, '$1 '), stored)).toBe('c7');
      expect(compare.mock.calls.length).toBeLessThanOrEqual(2);
      compare.mockClear();
      expect(await matchRecoveryCode('0123456789abcdef', stored)).toBeUndefined();
      expect(compare.mock.calls.length).toBeLessThanOrEqual(1);
      compare.mockClear();
      expect(await matchRecoveryCode('not a code', stored)).toBeUndefined();
      expect(compare).not.toHaveBeenCalled();
    } finally {
      compare.mockRestore();
    }
  });

  it('matches imported hashes made elsewhere ($2a$, $2b$, $2y$)', async () => {
    const code = 'a1b2c3d4e5f60718';
    const hash2b = await bcrypt.hash(code, 4);
    const hash2y = hash2b.replace('$2b$', '$2y$');
    const other = await bcrypt.hash('ffffffffffffffff', 4);
    expect(await matchRecoveryCode(code, importedRecoveryCodes([other, hash2b]))).toBe('i2');
    expect(await matchRecoveryCode(code, importedRecoveryCodes([hash2y]))).toBe('i1');
    // A platform's own form, compared as typed: its case and punctuation are the platform's.
    const platformCode = 'K7Q2M-x9p4z';
    const platform = importedRecoveryCodes([other, await bcrypt.hash(platformCode, 4)]);
    expect(await matchRecoveryCode(` ${platformCode} `, platform)).toBe('i2');
    expect(await matchRecoveryCode(platformCode.toLowerCase(), platform)).toBeUndefined();
    // Also when it looks like a code made here: 16 hex digits, issued in capitals.
    const hexInCapitals = 'A1B2C3D4E5F60718';
    expect(await matchRecoveryCode(hexInCapitals, importedRecoveryCodes([await bcrypt.hash(hexInCapitals, 4)]))).toBe('i1');
    expect(isBcryptHash('$2a$10$' + 'a'.repeat(53))).toBe(true);
    expect(isBcryptHash('$1$plainmd5')).toBe(false);
    // $2x$ marks hashes of a flawed old implementation, which this bcrypt does not compare.
    expect(isBcryptHash('$2x$10$' + 'a'.repeat(53))).toBe(false);
    // bcrypt writes the cost in two digits; a one-digit form is not a hash it made, and would be
    // stored as a code that no attempt can ever match.
    expect(isBcryptHash('$2b$4$' + 'a'.repeat(53))).toBe(false);
  });
});

describe('TOTP', () => {
  const { secret, otpauthUri } = newTotpSecret('zoe');
  const now = new Date('2026-05-05T12:00:10Z');
  const codeAt = (offsetSeconds: number) => generateSync({ secret, epoch: Math.floor(now.getTime() / 1000) + offsetSeconds });

  it('gives an otpauth URI for SHA-1, 6 digits, 30 s', () => {
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Reclaim:zoe\?/);
    const parameters = new URL(otpauthUri).searchParams;
    expect(parameters.get('secret')).toBe(secret);
    expect(parameters.get('issuer')).toBe('Reclaim');
    // Left out, the Key URI format's defaults hold: SHA1, 6 digits, 30 seconds.
    expect([parameters.get('algorithm') ?? 'SHA1', parameters.get('digits') ?? '6', parameters.get('period') ?? '30']).toEqual(['SHA1', '6', '30']);
  });

  it('accepts the current step and one either side, not two', () => {
    expect(checkTotp(secret, codeAt(0), now)).toMatchObject({ ok: true });
    expect(checkTotp(secret, codeAt(-30), now)).toMatchObject({ ok: true });
    expect(checkTotp(secret, codeAt(30), now)).toMatchObject({ ok: true });
    expect(checkTotp(secret, codeAt(-70), now)).toEqual({ ok: false, why: 'invalid' });
    expect(checkTotp(secret, codeAt(70), now)).toEqual({ ok: false, why: 'invalid' });
    expect(checkTotp(secret, 'abcdef', now)).toEqual({ ok: false, why: 'invalid' });
    // Spaces around it are not part of the code, as for recovery codes.
    expect(checkTotp(secret, ` ${codeAt(0)} `, now)).toMatchObject({ ok: true });
    // As authenticator apps show it, in two groups of three.
    const shown = codeAt(0).replace(/^(\d{3})/, '$1 ');
    expect(checkTotp(secret, shown, now)).toMatchObject({ ok: true });
    expect(checkTotp(secret, shown.replace(' ', '-'), now)).toMatchObject({ ok: true });
    expect(checkTotp(secret, codeAt(0).replace(/^(\d{2})/, '$1 '), now)).toEqual({ ok: false, why: 'invalid' });
  });

  it('refuses a step already accepted (no replay)', () => {
    const first = checkTotp(secret, codeAt(0), now);
    if (!first.ok) throw new Error('expected ok');
    expect(checkTotp(secret, codeAt(0), now, first.step)).toEqual({ ok: false, why: 'replayed' });
    expect(checkTotp(secret, codeAt(-30), now, first.step)).toEqual({ ok: false, why: 'replayed' });
    expect(checkTotp(secret, codeAt(30), now, first.step)).toMatchObject({ ok: true, step: first.step + 1 });
  });
});

describe('attempt limits', () => {
  const now = new Date('2026-01-01T10:00:00Z');
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

  it('allows 5 failures in 5 minutes, then says when to come back', () => {
    expect(attemptAllowed([ago(1), ago(2), ago(3), ago(4)], now)).toEqual({ allowed: true });
    expect(attemptAllowed([ago(1), ago(2), ago(3), ago(4), ago(4.5)], now)).toEqual({ allowed: false, retryAfterSeconds: 30 });
    expect(attemptAllowed([ago(1), ago(2), ago(3), ago(4), ago(6)], now)).toEqual({ allowed: true });
  });

  it('lets a failure go when its window has passed, not a millisecond later', () => {
    const failures = [ago(1), ago(2), ago(3), ago(4), ago(5)];
    expect(attemptAllowed(failures, now)).toEqual({ allowed: true });
    expect(attemptAllowed(failures, new Date(now.getTime() - 1))).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('counts the wait from the failure that must age out, when more than the limit are in a window', () => {
    // Attempts racing past the check can leave seven failures in five minutes: the fifth newest
    // (3 minutes old) must age out before a sixth attempt may follow, not the oldest.
    const failures = [ago(0.5), ago(1), ago(1.5), ago(2), ago(3), ago(4), ago(4.5)];
    expect(attemptAllowed(failures, now)).toEqual({ allowed: false, retryAfterSeconds: 120 });
  });

  it('allows 20 failures in an hour', () => {
    const spread = Array.from({ length: 20 }, (_, i) => ago(10 + i * 2));
    expect(attemptAllowed(spread, now)).toEqual({ allowed: false, retryAfterSeconds: 12 * 60 });
    expect(attemptAllowed(spread.slice(1), now)).toEqual({ allowed: true });
  });

  it('rounds the wait up to a whole second, so that a retry at its end is allowed', () => {
    const failures = [ago(1), ago(2), ago(3), ago(4), new Date(ago(4.5).getTime() - 500)];
    expect(attemptAllowed(failures, now)).toEqual({ allowed: false, retryAfterSeconds: 30 });
  });

  it('waits for the later of the two windows when both are full', () => {
    // The hour's window frees in a minute; the five minutes' only in 4 min 50 s.
    const failures = [...Array.from({ length: 15 }, () => ago(59)), ...Array.from({ length: 5 }, () => ago(1 / 6))];
    expect(attemptAllowed(failures, now)).toEqual({ allowed: false, retryAfterSeconds: 290 });
  });
});

describe('tokens', () => {
  it('carries 256 random bits after its prefix, URL-safe', () => {
    const token = newToken('rcl');
    expect(token).toMatch(/^rcl_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(newToken('rcl')).not.toBe(token);
  });

  it('tells secrets of different lengths apart rather than throwing', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
  });
});

describe('SecretBox', () => {
  it('round-trips, hides the plain text and detects tampering', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed)).toBe('JBSWY3DPEHPK3PXP');
    const [version, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] ^= 1;
    const forged = [version, iv, tag, flipped.toString('base64url')].join('.');
    expect(() => box.open(forged)).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('takes only a key of 32 bytes, and opens only the format it seals', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow('the secret key must be 32 bytes');
    const box = new SecretBox(randomBytes(32));
    const [, iv, tag, body] = box.seal('JBSWY3DPEHPK3PXP').split('.');
    expect(() => box.open(['v2', iv, tag, body].join('.'))).toThrow('not a sealed secret');
  });

  it('refuses a sealed value whose tag was cut short, as a shorter tag is easier to forge', () => {
    const box = new SecretBox(randomBytes(32));
    const [version, iv, tag, body] = box.seal('JBSWY3DPEHPK3PXP').split('.');
    const shortTag = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open([version, iv, shortTag, body].join('.'))).toThrow();
  });
});
