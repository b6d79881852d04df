import type { AccountState } from '../account/account.decider';
import type { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import type { AccountStatus } from '../ticket/ticket.events';
import { accountFold } from './folds';

/**
 * The account's status as the platform last fed it, read when a ticket for it is decided: a code
 * or an approval is judged by the account as it is then, not as it was when the ticket was filed
 * (an account frozen since must not be recovered by a code alone). An unknown account is neither.
 */
export async function currentAccountStatus(runner: StreamRunner, username: string): Promise<AccountStatus> {
  return accountStatusOf((await runner.load(streams.account(username), accountFold)).state);
}

/** The status a ticket is decided by, from an account's folded state. */
export function accountStatusOf(account: AccountState): AccountStatus {
  return { critical: !!account.profile?.critical, frozen: !!account.profile?.frozen };
}
