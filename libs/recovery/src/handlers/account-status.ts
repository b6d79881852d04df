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
  const { state } = await runner.load(streams.account(username), accountFold);
  return { critical: !!state.profile?.critical, frozen: !!state.profile?.frozen };
}
