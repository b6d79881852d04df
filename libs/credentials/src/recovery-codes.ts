import bcrypt from 'bcrypt';
import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 8;
export const RECOVERY_CODE_PATTERN = /^[0-9a-f]{16}$/;
const BCRYPT_HASH_PATTERN = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** A stored recovery code: its bcrypt hash, and for generated codes a short lookup tag. */
export interface StoredRecoveryCode {
  id: string;
  hash: string;
  /**
   * First 4 hex digits of SHA-256(code): lets a check find its one candidate before the costly
   * bcrypt comparison. 16 of the code's 64 random bits can be guessed from it, which leaves 48:
   * still out of reach of an online or offline search through bcrypt.
   */
  tag?: string;
}

/** 8 codes of 16 lowercase hex characters (64 random bits each). */
export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => randomBytes(8).toString('hex'));
}

export function codeTag(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 4);
}

/** Hashes codes with bcrypt on libuv's thread pool, so the event loop keeps serving. */
export async function hashRecoveryCodes(codes: string[], cost: number): Promise<StoredRecoveryCode[]> {
  return Promise.all(
    codes.map(async (code, index) => ({ id: `c${index + 1}`, hash: await bcrypt.hash(code, cost), tag: codeTag(code) })),
  );
}

export function isBcryptHash(value: string): boolean {
  return BCRYPT_HASH_PATTERN.test(value);
}

/**
 * The costs an imported hash may have. bcrypt takes 4 to 31, and a hash outside them never
 * matches: its code could never be used. Each step up doubles the time a comparison holds a
 * thread-pool thread (about 0.7 s at cost 14 here, 3 s at 16), and every code attempt on the
 * account compares each imported hash: at cost 31 one comparison would take days, and a few
 * attempts would stall everything else that runs on the pool. Platforms use 10 to 14.
 */
export const IMPORTED_HASH_COST = { min: 4, max: 16 } as const;

/** The cost a bcrypt hash was made with (the number after its prefix). */
export function bcryptCost(hash: string): number {
  return Number(hash.slice(4, 6));
}

/** `$2y$` (PHP) is the same algorithm as `$2b$`, which is the name the bcrypt package compares under. */
export function canonicalBcryptHash(hash: string): string {
  return hash.replace(/^\$2y\$/, '$2b$');
}

/** Hashes made elsewhere carry no tag: a check must compare against them one by one. */
export function importedRecoveryCodes(hashes: string[]): StoredRecoveryCode[] {
  return hashes.map((hash, index) => ({ id: `i${index + 1}`, hash: canonicalBcryptHash(hash) }));
}

/**
 * Finds which unused code, if any, `code` is. A code made here is 16 hex digits, hashed in lower
 * case, and its tag finds its one candidate: at most one bcrypt comparison runs, whatever the
 * number of codes. People copy such a code down in groups and read it back in capitals
 * (`9D95-D086 AF19-AFCF`), so spaces, hyphens and case are left out of it: a code typed so is the
 * same code, not a failed attempt that counts against the account's limit. An imported code is in
 * whatever form the platform that issued it chose, so it is compared as typed, and with no tag
 * each imported hash costs one comparison. All comparisons run on the thread pool, never on the
 * event loop.
 */
export async function matchRecoveryCode(code: string, unused: StoredRecoveryCode[]): Promise<string | undefined> {
  const typed = code.trim();
  const ungrouped = typed.replace(/[\s-]/g, '').toLowerCase();
  const generated = RECOVERY_CODE_PATTERN.test(ungrouped) ? ungrouped : undefined;
  const tag = generated === undefined ? undefined : codeTag(generated);
  for (const stored of unused) {
    const candidate = stored.tag === undefined ? typed : stored.tag === tag ? generated : undefined;
    if (candidate !== undefined && (await bcrypt.compare(candidate, stored.hash))) return stored.id;
  }
  return undefined;
}
