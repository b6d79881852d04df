import type { StoredRecoveryCode } from '@reclaim/credentials';
import type { DecidedEvent } from '../shared/decided-event';

export interface AccountProfile {
  primaryEmail: string;
  emails: string[];
  packages: string[];
  critical: boolean;
  frozen: boolean;
}

/** Events of stream `account-<username>`. Codes appear only as bcrypt hashes, TOTP secrets only sealed. */
export type AccountEvent =
  | DecidedEvent<'AccountRegistered', AccountProfile & { username: string }>
  | DecidedEvent<'AccountUpdated', AccountProfile & { username: string }>
  /** A new set replaces the old one. */
  | DecidedEvent<'RecoveryCodesIssued', { source: 'generated' | 'imported'; codes: StoredRecoveryCode[] }>
  | DecidedEvent<'RecoveryCodeUsed', { codeId: string; ticketId: string }>
  /** `source`: made here, or imported from the platform, which enrolled its users itself (absent before 2026-11-29: made here). */
  | DecidedEvent<'TotpEnrolled', { sealedSecret: string; source?: 'generated' | 'imported' }>
  | DecidedEvent<'TotpStepAccepted', { step: number; ticketId: string }>
  /**
   * The platform removed the account (it was deleted there): it leaves the directory, and its
   * codes and TOTP secret stop working, so that a username given to someone else later is not
   * recovered with the codes of the one before.
   */
  | DecidedEvent<'AccountRemoved', { username: string }>;

export type AccountCommand =
  | ({ type: 'UpsertAccount'; username: string } & AccountProfile)
  | { type: 'IssueRecoveryCodes'; source: 'generated' | 'imported'; codes: StoredRecoveryCode[] }
  // `codeHash` names the very code that matched: ids repeat from set to set (c1 to c8).
  | { type: 'UseRecoveryCode'; codeId: string; codeHash: string; ticketId: string }
  | { type: 'EnrolTotp'; sealedSecret: string; source: 'generated' | 'imported' }
  // `sealedSecret`: the secret the code was checked against.
  | { type: 'AcceptTotpStep'; step: number; sealedSecret: string; ticketId: string }
  | { type: 'RemoveAccount' };
