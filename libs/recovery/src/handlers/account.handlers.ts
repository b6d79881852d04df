import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { generateRecoveryCodes, hashRecoveryCodes, importedRecoveryCodes, newTotpSecret, type SecretBox } from '@reclaim/credentials';
import { decideAccount } from '../account/account.decider';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { EnrolTotpCommand, IssueRecoveryCodesCommand, UpsertAccountCommand } from './commands';
import { accountFold } from './folds';
import { RECOVERY_CONFIG, SECRET_BOX, type RecoveryConfig } from './recovery-config';

@CommandHandler(UpsertAccountCommand)
export class UpsertAccountHandler implements ICommandHandler<UpsertAccountCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ username, profile, meta }: UpsertAccountCommand) {
    let created = false;
    const { position } = await this.runner.run(streams.account(username), accountFold, meta, (account) => {
      created = !account.profile;
      return decideAccount({ type: 'UpsertAccount', username, ...profile }, account);
    });
    return { created, position: position.toString() };
  }
}

@CommandHandler(IssueRecoveryCodesCommand)
export class IssueRecoveryCodesHandler implements ICommandHandler<IssueRecoveryCodesCommand> {
  constructor(private readonly runner: StreamRunner, @Inject(RECOVERY_CONFIG) private readonly config: RecoveryConfig) {}

  async execute({ username, meta, hashes }: IssueRecoveryCodesCommand) {
    const plain = hashes ? undefined : generateRecoveryCodes();
    const codes = plain ? await hashRecoveryCodes(plain, this.config.bcryptCost) : importedRecoveryCodes(hashes!);
    const { position } = await this.runner.run(streams.account(username), accountFold, meta, (account) =>
      decideAccount({ type: 'IssueRecoveryCodes', source: plain ? 'generated' : 'imported', codes }, account),
    );
    return { codes: plain, position: position.toString() };
  }
}

@CommandHandler(EnrolTotpCommand)
export class EnrolTotpHandler implements ICommandHandler<EnrolTotpCommand> {
  constructor(private readonly runner: StreamRunner, @Inject(SECRET_BOX) private readonly secrets: SecretBox) {}

  async execute({ username, meta }: EnrolTotpCommand) {
    const { secret, otpauthUri } = newTotpSecret(username);
    const { position } = await this.runner.run(streams.account(username), accountFold, meta, (account) =>
      decideAccount({ type: 'EnrolTotp', sealedSecret: this.secrets.seal(secret) }, account),
    );
    return { secret, otpauthUri, position: position.toString() };
  }
}
