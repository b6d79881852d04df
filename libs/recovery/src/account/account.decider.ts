import { CommandIds } from '../shared/command-ids';
import type { Every } from '../shared/every';
import { foldBookkeeping } from '../shared/stream-runner';
import type { StoredRecoveryCode } from '@reclaim/credentials';
import type { FoldableEvent } from '../shared/decided-event';
import { CodeRefused, NotFound } from '../shared/errors';
import type { AccountCommand, AccountEvent, AccountProfile } from './account.events';

export interface AccountState {
  revision: bigint;
  username?: string;
  profile?: AccountProfile;
  codes: StoredRecoveryCode[];
  /** The command that issued the codes in force (see `lost-answer.ts`). */
  codesIssuedBy?: string;
  /** Code id → the ticket that used it. */
  usedCodes: Map<string, string>;
  sealedTotpSecret?: string;
  /** The command that enrolled the TOTP secret in force. */
  totpEnrolledBy?: string;
  lastTotpStep?: number;
  commandIds: CommandIds;
}

export const initialAccountState = (): AccountState =>
  ({
    revision: -1n,
    username: undefined,
    profile: undefined,
    codes: [],
    codesIssuedBy: undefined,
    usedCodes: new Map(),
    sealedTotpSecret: undefined,
    totpEnrolledBy: undefined,
    lastTotpStep: undefined,
    commandIds: CommandIds.empty(),
  }) satisfies Every<AccountState>;

export function evolveAccount(state: AccountState, stored: FoldableEvent): AccountState {
  const event = stored as AccountEvent;
  const next: AccountState = {
    ...state,
    ...foldBookkeeping(state, stored),
  };
  switch (event.type) {
    case 'AccountRegistered':
    case 'AccountUpdated': {
      const { username, ...profile } = event.data;
      return { ...next, username, profile };
    }
    case 'RecoveryCodesIssued':
      return { ...next, codes: event.data.codes, codesIssuedBy: stored.metadata?.causationId, usedCodes: new Map() };
    case 'RecoveryCodeUsed':
      return { ...next, usedCodes: new Map(state.usedCodes).set(event.data.codeId, event.data.ticketId) };
    case 'TotpEnrolled':
      return { ...next, sealedTotpSecret: event.data.sealedSecret, totpEnrolledBy: stored.metadata?.causationId, lastTotpStep: undefined };
    case 'TotpStepAccepted':
      return { ...next, lastTotpStep: Math.max(event.data.step, state.lastTotpStep ?? -1) };
    case 'AccountRemoved':
      // As if it had never been registered, but for the stream's bookkeeping.
      return { ...initialAccountState(), revision: next.revision, commandIds: next.commandIds, username: state.username };
  }
}

/** Decides an account command. Pure; the handler has done the hashing and checking already. */
export function decideAccount(command: AccountCommand, state: AccountState): AccountEvent[] {
  if (command.type === 'UpsertAccount') {
    const { type: _type, ...data } = command;
    const unchanged = state.profile && JSON.stringify({ username: state.username, ...state.profile }) === JSON.stringify(data);
    if (unchanged) return [];
    return [{ type: state.profile ? 'AccountUpdated' : 'AccountRegistered', data }];
  }
  if (command.type === 'RemoveAccount') {
    if (state.username === undefined) throw new NotFound('account');
    // Removed already: nothing more to record, and a removal cut short goes on to its tickets.
    return state.profile ? [{ type: 'AccountRemoved', data: { username: state.username } }] : [];
  }
  if (!state.profile) throw new NotFound(`account`);
  switch (command.type) {
    case 'IssueRecoveryCodes':
      return [{ type: 'RecoveryCodesIssued', data: { source: command.source, codes: command.codes } }];
    case 'UseRecoveryCode':
      // The guard against a code matched just before a new set replaced it (the new set's code
      // of the same id is another code), and against two tickets burning one code: in both,
      // the append meets a newer revision, decides again here, and is refused.
      if (!state.codes.some((code) => code.id === command.codeId && code.hash === command.codeHash)) throw new CodeRefused('recoveryCode', 'rejected');
      if (state.usedCodes.has(command.codeId)) throw new CodeRefused('recoveryCode', 'already-used');
      return [{ type: 'RecoveryCodeUsed', data: { codeId: command.codeId, ticketId: command.ticketId } }];
    case 'EnrolTotp':
      return [{ type: 'TotpEnrolled', data: { sealedSecret: command.sealedSecret, source: command.source } }];
    case 'AcceptTotpStep':
      // As for codes: the secret the code was checked against must still be the account's.
      if (state.sealedTotpSecret !== command.sealedSecret) throw new CodeRefused('totpCode', 'rejected');
      if (state.lastTotpStep !== undefined && command.step <= state.lastTotpStep) throw new CodeRefused('totpCode', 'replayed');
      return [{ type: 'TotpStepAccepted', data: { step: command.step, ticketId: command.ticketId } }];
  }
}
