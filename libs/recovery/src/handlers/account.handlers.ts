import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { generateRecoveryCodes, hashRecoveryCodes, importedRecoveryCodes, newTotpSecret, totpUri, type SecretBox } from '@reclaim/credentials';
import { decideAccount } from '../account/account.decider';
import { subCommand, type CommandMeta } from '../shared/decided-event';
import { inGroups } from '../shared/in-groups';
import { reissueOf, requireIssuedBy, showAgain } from '../shared/lost-answer';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { EnrolTotpCommand, ImportTotpSecretCommand, IssueRecoveryCodesCommand, RemoveAccountCommand, UpsertAccountCommand, UpsertAccountsCommand, type AccountWritten } from './commands';
import { countChanged, eachTicketOnce } from './each-ticket-once';
import { accountFold } from './folds';
import { RECOVERY_CONFIG, SECRET_BOX, type RecoveryConfig } from './recovery-config';

@CommandHandler(UpsertAccountCommand)
export class UpsertAccountHandler implements ICommandHandler<UpsertAccountCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ username, profile, meta }: UpsertAccountCommand) {
    let created = false;
    let changed = false;
    const { position } = await this.runner.run(streams.account(username), accountFold, meta, (account) => {
      const decided = decideAccount({ type: 'UpsertAccount', username, ...profile }, account);
      [created, changed] = [!account.profile, decided.length > 0];
      return decided;
    });
    return { created, changed, position: position.toString() };
  }
}

/** Accounts of a batch written at once (see `inGroups`). */
const ACCOUNTS_AT_ONCE = 32;

@CommandHandler(UpsertAccountsCommand)
export class UpsertAccountsHandler implements ICommandHandler<UpsertAccountsCommand> {
  constructor(private readonly commands: CommandBus) {}

  async execute({ accounts, meta }: UpsertAccountsCommand) {
    let last = 0n;
    // Each account's command id comes from the batch's, so a batch sent again (or finished after a crash) writes each once.
    const written = await inGroups(accounts, ACCOUNTS_AT_ONCE, async ({ username, profile }): Promise<AccountWritten> => {
      const { created, changed, position } = await this.commands.execute(new UpsertAccountCommand(username, profile, subCommand(meta, `account ${username}`)));
      if (BigInt(position) > last) last = BigInt(position);
      return { username, status: created ? 'created' : changed ? 'updated' : 'unchanged', position };
    });
    return { accounts: written, position: last.toString() };
  }
}

/**
 * The account leaves the directory, then its open tickets are rejected: there is nothing left to
 * recover, and one verified later would tell the platform to give the username, which it may have
 * given someone else by then, to whoever filed it.
 */
@CommandHandler(RemoveAccountCommand)
export class RemoveAccountHandler implements ICommandHandler<RemoveAccountCommand> {
  constructor(private readonly runner: StreamRunner, private readonly commands: CommandBus) {}

  async execute({ username, openTickets, meta }: RemoveAccountCommand) {
    const { position } = await this.runner.run(streams.account(username), accountFold, meta, (account) => decideAccount({ type: 'RemoveAccount' }, account));
    const last = await eachTicketOnce(this.commands, openTickets, 'reject', { type: 'RejectForRemovedAccount' }, meta, position);
    return { position: last.toString(), rejected: await countChanged(this.runner, openTickets, 'reject', meta) };
  }
}

@CommandHandler(IssueRecoveryCodesCommand)
export class IssueRecoveryCodesHandler implements ICommandHandler<IssueRecoveryCodesCommand> {
  constructor(private readonly runner: StreamRunner, @Inject(RECOVERY_CONFIG) private readonly config: RecoveryConfig) {}

  async execute({ username, meta, hashes }: IssueRecoveryCodesCommand) {
    if (!hashes) return this.generate(username, meta);
    const codes = importedRecoveryCodes(hashes);
    const { position } = await this.runner.run(streams.account(username), accountFold, meta, (account) =>
      decideAccount({ type: 'IssueRecoveryCodes', source: 'imported', codes }, account),
    );
    return { codes: undefined, position: position.toString() };
  }

  /** A new set, shown once. A retry whose first answer was lost gets a new set in place of the lost one. */
  private async generate(username: string, meta: CommandMeta): Promise<{ codes: string[]; position: string }> {
    const plain = generateRecoveryCodes();
    const codes = await hashRecoveryCodes(plain, this.config.bcryptCost);
    const { state, position, repeat } = await this.runner.run(streams.account(username), accountFold, meta, (account) =>
      decideAccount({ type: 'IssueRecoveryCodes', source: 'generated', codes }, account),
    );
    if (repeat) {
      requireIssuedBy(meta, state.codesIssuedBy, 'recovery codes');
      return this.generate(username, reissueOf(meta));
    }
    return { codes: plain, position: position.toString() };
  }
}

@CommandHandler(EnrolTotpCommand)
export class EnrolTotpHandler implements ICommandHandler<EnrolTotpCommand> {
  constructor(private readonly runner: StreamRunner, @Inject(SECRET_BOX) private readonly secrets: SecretBox) {}

  async execute({ username, meta }: EnrolTotpCommand) {
    const { secret, otpauthUri } = newTotpSecret(username);
    const { state, position, repeat } = await this.runner.run(streams.account(username), accountFold, meta, (account) =>
      decideAccount({ type: 'EnrolTotp', sealedSecret: this.secrets.seal(secret), source: 'generated' }, account),
    );
    if (repeat) {
      // The first answer was lost; the secret it issued is kept sealed, so it is shown again.
      requireIssuedBy(meta, state.totpEnrolledBy, 'TOTP secret');
      const stored = showAgain(this.secrets, state.sealedTotpSecret!, 'TOTP secret');
      return { secret: stored, otpauthUri: totpUri(username, stored), position: position.toString() };
    }
    return { secret, otpauthUri, position: position.toString() };
  }
}

/**
 * A secret the platform enrolled its user with, kept sealed as one made here. Nothing secret is
 * answered, so a retry whose first answer was lost is answered as the first was, whatever came since.
 */
@CommandHandler(ImportTotpSecretCommand)
export class ImportTotpSecretHandler implements ICommandHandler<ImportTotpSecretCommand> {
  constructor(private readonly runner: StreamRunner, @Inject(SECRET_BOX) private readonly secrets: SecretBox) {}

  async execute({ username, secret, meta }: ImportTotpSecretCommand) {
    const { position } = await this.runner.run(streams.account(username), accountFold, meta, (account) =>
      decideAccount({ type: 'EnrolTotp', sealedSecret: this.secrets.seal(secret), source: 'imported' }, account),
    );
    return { position: position.toString() };
  }
}
