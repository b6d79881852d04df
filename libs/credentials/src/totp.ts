import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';

export const TOTP_PERIOD_SECONDS = 30;

/** A new RFC 6238 secret (base32) and the otpauth:// URI an authenticator app scans. */
export function newTotpSecret(username: string): { secret: string; otpauthUri: string } {
  const secret = generateSecret();
  return { secret, otpauthUri: totpUri(username, secret) };
}

/**
 * Whether codes can be checked against this base32 secret: as otplib decodes it (RFC 4648, either
 * case, no padding bits set) and of at least 128 bits, as RFC 4226 requires of a shared secret.
 */
export function isTotpSecret(secret: string): boolean {
  try {
    generateSync({ secret });
    return true;
  } catch {
    return false;
  }
}

/** The otpauth:// URI of a secret. */
export function totpUri(username: string, secret: string): string {
  return generateURI({ issuer: 'Reclaim', label: username, secret, algorithm: 'sha1', digits: 6, period: TOTP_PERIOD_SECONDS });
}

/**
 * Checks a 6-digit code against the current 30 s step ±1. `afterStep` refuses a step that was
 * already accepted (no replay). Returns the matched step, or why not. Authenticator apps show a
 * code in two groups of three (`123 456`), so one space or hyphen between them is left out.
 */
export function checkTotp(
  secret: string,
  code: string,
  now: Date,
  afterStep?: number,
): { ok: true; step: number } | { ok: false; why: 'invalid' | 'replayed' } {
  const token = code.trim().replace(/^(\d{3})[ -](\d{3})$/, '$1$2');
  if (!/^\d{6}$/.test(token)) return { ok: false, why: 'invalid' };
  const epoch = Math.floor(now.getTime() / 1000);
  const result = verifySync({ secret, token, epoch, epochTolerance: TOTP_PERIOD_SECONDS });
  if (!result.valid) return { ok: false, why: 'invalid' };
  const step = (result as { timeStep: number }).timeStep;
  if (afterStep !== undefined && step <= afterStep) return { ok: false, why: 'replayed' };
  return { ok: true, step };
}
