import type { AccountProfile } from '../account/account.events';
import { addressKey } from '../shared/address-key';
import type { RecoveryRequest } from './ticket.events';

/**
 * Which of a request's addresses and packages the account's record holds, entry by entry. Staff
 * verify ownership by comparing them with the record; by eye, an address in lookalike letters
 * (a Cyrillic "а" for a Latin "a") passes for the account's own, and a long list hides the one
 * that differs.
 */
export interface OnFile {
  /** The address the requester asks to be reached at is the account's (primary or another). */
  contactEmail: boolean;
  /** For each of `previousEmails`, in order. */
  previousEmails: boolean[];
  /** For each of `packages`, in order. */
  packages: boolean[];
}

/** The comparison of a request with an account's record (addresses by `addressKey`). */
export function onFile(request: Pick<RecoveryRequest, 'contactEmail' | 'previousEmails' | 'packages'>, account: Pick<AccountProfile, 'primaryEmail' | 'emails' | 'packages'>): OnFile {
  const addresses = new Set([account.primaryEmail, ...account.emails].map(addressKey));
  const packages = new Set(account.packages);
  return {
    contactEmail: addresses.has(addressKey(request.contactEmail)),
    previousEmails: request.previousEmails.map((address) => addresses.has(addressKey(address))),
    packages: request.packages.map((name) => packages.has(name)),
  };
}
