import { attemptAllowed, checkTotp, matchRecoveryCode, type SecretBox } from '@reclaim/credentials';
import { decideAccount } from '../account/account.decider';
import type { Clock } from '../shared/clock';
import { subCommand, type CommandMeta } from '../shared/decided-event';
import { CodeRefused, TooManyAttempts } from '../shared/errors';
import type { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import type { EvidenceCheck } from '../ticket/ticket.events';
import { accountFold, requesterFold } from './folds';

export interface PresentedEvidence {
  recoveryCode?: string;
  totpCode?: string;
}

/**
 * Checks the codes a requester presents, burns what it accepts, and counts failures per username.
 * Its answer says only how each check went: the codes themselves go nowhere.
 */
export class EvidenceChecker {
  constructor(private readonly runner: StreamRunner, private readonly secrets: SecretBox, private readonly clock: Clock) {}

  /**
   * Checks the presented codes, burns what it accepts and records the failures, as one command
   * on the username's requests stream, whose limits are judged on the failures recorded before
   * it: the next attempt for the username (in this process) waits for these to be recorded.
   * Judged apart from the check, thirty attempts sent at once each passed the limit before any
   * failure was recorded, and thirty codes were checked where five may be. Over the limit it
   * throws TooManyAttempts, having checked nothing.
   */
  async checkWithinLimits(username: string, ticketId: string, evidence: PresentedEvidence, meta: CommandMeta): Promise<EvidenceCheck[]> {
    if (!evidence.recoveryCode && !evidence.totpCode) return [];
    let checks: EvidenceCheck[] | undefined;
    await this.runner.run(streams.requests(username), requesterFold, subCommand(meta, 'failures'), async (requests) => {
      // Checked once: decided again (another process recorded failures first), it records what it found.
      if (!checks) {
        const verdict = attemptAllowed(requests.failures, this.clock.now());
        if (!verdict.allowed) throw new TooManyAttempts(verdict.retryAfterSeconds);
        checks = await this.check(username, ticketId, evidence, meta);
      }
      return checks.filter((check) => check.outcome !== 'accepted').map((check) => ({ type: 'CodeAttemptFailed', data: { kind: check.kind, ticketId, outcome: check.outcome } }));
    });
    // A retry whose first try recorded its failures (judged then): checked again for the ticket's
    // evidence, a wrong code as wrong as before, and nothing more recorded.
    return checks ?? (await this.check(username, ticketId, evidence, meta));
  }

  private async check(username: string, ticketId: string, evidence: PresentedEvidence, meta: CommandMeta): Promise<EvidenceCheck[]> {
    const checks: EvidenceCheck[] = [];
    if (evidence.recoveryCode) checks.push({ kind: 'recovery-code', outcome: await this.checkRecoveryCode(username, ticketId, evidence.recoveryCode, meta) });
    if (evidence.totpCode) checks.push({ kind: 'totp', outcome: await this.checkTotpCode(username, ticketId, evidence.totpCode, meta) });
    return checks;
  }

  private async checkRecoveryCode(username: string, ticketId: string, code: string, meta: CommandMeta): Promise<EvidenceCheck['outcome']> {
    const { state } = await this.runner.load(streams.account(username), accountFold);
    // One pass over every code, used ones included: at most one bcrypt comparison tells both
    // whether the code is the account's and whether another ticket burned it already.
    const codeId = await matchRecoveryCode(code, state.codes);
    if (!codeId) return 'rejected';
    const codeHash = state.codes.find((stored) => stored.id === codeId)!.hash;
    const usedBy = state.usedCodes.get(codeId);
    if (usedBy !== undefined && usedBy !== ticketId) return 'already-used';
    try {
      // The append's revision check is what makes a code single-use under concurrency.
      await this.runner.run(streams.account(username), accountFold, subCommand(meta, 'recovery-code'), (account) =>
        account.usedCodes.get(codeId) === ticketId ? [] : decideAccount({ type: 'UseRecoveryCode', codeId, codeHash, ticketId }, account),
      );
      return 'accepted';
    } catch (error) {
      if (error instanceof CodeRefused) return error.outcome;
      throw error;
    }
  }

  private async checkTotpCode(username: string, ticketId: string, code: string, meta: CommandMeta): Promise<EvidenceCheck['outcome']> {
    const { state } = await this.runner.load(streams.account(username), accountFold);
    if (!state.sealedTotpSecret) return 'not-enrolled';
    // A secret sealed with a key lost and replaced since opens no more: enrolled as good as never.
    const secret = this.secrets.tryOpen(state.sealedTotpSecret);
    if (secret === undefined) return 'not-enrolled';
    const result = checkTotp(secret, code, this.clock.now(), state.lastTotpStep);
    if (!result.ok) return result.why === 'replayed' ? 'replayed' : 'rejected';
    try {
      await this.runner.run(streams.account(username), accountFold, subCommand(meta, 'totp'), (account) =>
        decideAccount({ type: 'AcceptTotpStep', step: result.step, sealedSecret: state.sealedTotpSecret!, ticketId }, account),
      );
      return 'accepted';
    } catch (error) {
      if (error instanceof CodeRefused) return error.outcome;
      throw error;
    }
  }
}
