import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { bcryptCost, canonicalBcryptHash, IMPORTED_HASH_COST, isBcryptHash, isTotpSecret } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { ACCOUNT_FLAGS, GetAccountQuery, GetStreamHistoryQuery, ListAccountsQuery, OpenTicketsForQuery, ProjectionRunner } from '@reclaim/projections';
import { addressKey, EnrolTotpCommand, ImportTotpSecretCommand, IssueRecoveryCodesCommand, RemoveAccountCommand, streams, UpsertAccountCommand, UpsertAccountsCommand, type AccountProfile, type CommandMeta } from '@reclaim/recovery';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, isString, MaxLength, ValidateBy, ValidateNested } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { Access, FEEDS_ACCOUNTS, READS_ACCOUNTS } from '../auth/access.decorator';
import { Meta } from '../http/command-meta.decorator';
import { EachEmail, EachPackage, IsEmailAddress, IsUsername } from '../http/patterns';
import { CursorPageQuery, HistoryPageQuery, requestedNamePage, requestedRange } from '../http/cursor-page';
import { historyOrNotFound, HistoryRoute } from '../http/history-route';
import { caughtUpWithLog } from '../http/once-applied';
import { problem, ProblemError } from '../http/problem';
import { entryMessage } from '../http/validation';
import { Answers, Refuses } from '../openapi/documented';

/** `critical` or `frozen` of the account list: `true` for those accounts alone, `false` for the others. */
const AccountFlagFilter = (flag: (typeof ACCOUNT_FLAGS)[number], who: string) =>
  applyDecorators(
    ApiPropertyOptional({ enum: ['true', 'false'], description: `Only the accounts that are ${who} (\`true\`), or those that are not (\`false\`) (addition).` }),
    IsOptional(),
    IsIn(['true', 'false'], { message: `${flag} must be true or false` }),
  );

class AccountListQuery extends CursorPageQuery {
  @AccountFlagFilter('critical', 'critical (two approvers)')
  critical?: 'true' | 'false';

  @AccountFlagFilter('frozen', 'frozen (a code verifies nothing)')
  frozen?: 'true' | 'false';
}

class UsernameParam {
  @ApiProperty({ description: 'The account\'s username on the platform.' })
  @IsString()
  @IsUsername()
  username!: string;
}

/** Addresses are compared by `addressKey`. */
const byAddressKey = (value: unknown) => (typeof value === 'string' ? addressKey(value) : value);

class AccountDto {
  @ApiProperty({ example: 'zoe@example.org' })
  @IsString()
  @MaxLength(254)
  @IsEmailAddress()
  primaryEmail!: string;

  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique(byAddressKey, { message: 'emails must not list an address twice' })
  @EachEmail()
  emails!: string[];

  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(1000)
  @ArrayUnique({ message: 'packages must not list a package twice' })
  @EachPackage()
  packages!: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  critical?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  frozen?: boolean;
}

/** An account as a `PUT` gives it: what is left out is false. */
const profileOf = (body: AccountDto): AccountProfile => ({ primaryEmail: body.primaryEmail, emails: body.emails, packages: body.packages, critical: body.critical ?? false, frozen: body.frozen ?? false });

/** Accounts one batch may hold; the body's 64 KiB hold about 400 of two addresses and two packages each. */
const MOST_ACCOUNTS_PER_BATCH = 500;

class AccountEntryDto extends AccountDto {
  @ApiProperty({ description: "The account's username on the platform." })
  @IsString()
  @IsUsername()
  username!: string;
}

class AccountBatchDto {
  @ApiProperty({ type: [AccountEntryDto], description: `1 to ${MOST_ACCOUNTS_PER_BATCH} accounts, each as the body of \`PUT /v1/accounts/{username}\` with its \`username\`; a username at most once.` })
  @IsArray()
  @ArrayMinSize(1, { message: 'accounts must list at least one account' })
  @ArrayMaxSize(MOST_ACCOUNTS_PER_BATCH, { message: `accounts must list at most ${MOST_ACCOUNTS_PER_BATCH} accounts` })
  @ArrayUnique((entry: { username?: unknown } | null) => entry?.username, { message: 'accounts must not list a username twice' })
  @ValidateNested({ each: true, message: ({ property }) => `${property} must be an account (an object)` })
  @Type(() => AccountEntryDto)
  accounts!: AccountEntryDto[];
}

class ImportCodesDto {
  @ApiProperty({ type: [String], description: 'bcrypt hashes ($2a$, $2b$ or $2y$; of cost 4 to 16) of codes issued elsewhere' })
  @IsArray()
  @ArrayMinSize(1, { message: 'hashes must list at least one hash' })
  @ArrayMaxSize(32)
  @IsString({ each: true, message: entryMessage('must be a string', (entry) => !isString(entry)) })
  hashes!: string[];
}

class ImportTotpDto {
  @ApiProperty({ description: 'The base32 secret (RFC 4648, no spaces) the platform enrolled its user with: RFC 6238, SHA-1, 6 digits, 30 s; at least 128 bits (26 characters)' })
  @IsString()
  @MaxLength(128)
  @ValidateBy({ name: 'isTotpSecret', validator: { validate: (value) => typeof value === 'string' && isTotpSecret(value), defaultMessage: () => 'secret must be a base32 TOTP secret (letters and the digits 2 to 7, no spaces) of at least 128 bits (26 characters)' } })
  secret!: string;
}

@ApiTags('accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly projections: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Put(':username')
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({ summary: 'Register or update an account (201 when new, 200 when it existed)' })
  @Answers(200, 'AccountWritten')
  @Answers(201, 'AccountWritten')
  async upsert(@Param() { username }: UsernameParam, @Body() body: AccountDto, @Meta() meta: CommandMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    const profile = profileOf(body);
    const { created, position } = await this.commands.execute(new UpsertAccountCommand(username, profile, meta));
    reply.status(created ? 201 : 200);
    return { username, ...profile, position };
  }

  // A platform's first feed, or a nightly sync, of many accounts: one request a few hundred
  // accounts, whose appends share commits, where one PUT each waits for a commit each.
  @Post('batch')
  @HttpCode(200)
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({
    summary: `Register or update up to ${MOST_ACCOUNTS_PER_BATCH} accounts at once (addition), each as \`PUT /v1/accounts/{username}\` would`,
    description: 'One entry that is not valid refuses the whole batch (400, naming it: `accounts.3.primaryEmail`), and nothing is written. Each account is written once however often the batch is sent. The answer gives each account\'s outcome in the order sent (`created`, `updated`, or `unchanged` when it was so already), and the last position.',
  })
  @Answers(200, 'AccountsWritten')
  async upsertMany(@Body() body: AccountBatchDto, @Meta() meta: CommandMeta) {
    return this.commands.execute(new UpsertAccountsCommand(body.accounts.map((entry) => ({ username: entry.username, profile: profileOf(entry) })), meta));
  }

  @Delete(':username')
  @HttpCode(200)
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({
    summary: 'Remove an account deleted on the platform (addition): it leaves the directory, and its recovery codes and TOTP secret stop working',
    description:
      'Its tickets still open are rejected (reason `other`, by the system: nothing is left to recover), so that none verified later sends `verified.v1` for a username the platform may have given someone else. Its history stays (`GET /v1/accounts/{username}/history`). A `PUT` of the same username later registers a new account, with no codes and no TOTP.',
  })
  @Answers(200, 'AccountRemoved')
  @Refuses(404)
  async remove(@Param() { username }: UsernameParam, @Meta() meta: CommandMeta) {
    // Every ticket filed before the request is listed, also one this server has not read yet.
    await caughtUpWithLog(this.projections, this.store);
    const openTickets = await this.queries.execute(new OpenTicketsForQuery(username));
    const { position, rejected } = await this.commands.execute(new RemoveAccountCommand(username, openTickets, meta));
    return { username, removed: true, ticketsRejected: rejected, position };
  }

  // Those who feed the directory compare it with their own, to find an account deleted on the
  // platform and never removed here (a lost DELETE), or one never fed. Staff look accounts up by
  // username; they are not given every account's addresses at once.
  @Get()
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({ summary: 'The accounts in the directory, in username order (addition): `limit` and `after` page it; `critical` and `frozen` narrow it' })
  @Answers(200, 'AccountPage')
  async list(@Query() query: AccountListQuery) {
    const { limit, after } = requestedNamePage(query);
    const filter = Object.fromEntries(ACCOUNT_FLAGS.filter((flag) => query[flag] !== undefined).map((flag) => [flag, query[flag] === 'true']));
    return this.queries.execute(new ListAccountsQuery(limit, after, filter));
  }

  @Get(':username')
  @Access({ roles: READS_ACCOUNTS })
  @ApiOperation({ summary: 'An account: never a secret or a hash' })
  @Answers(200, 'Account')
  @Refuses(404)
  async get(@Param() { username }: UsernameParam) {
    const account = await this.queries.execute(new GetAccountQuery(username));
    if (!account) throw new ProblemError(problem(404, 'The account was not found.'));
    return account;
  }

  // Those who may read the account may read how it came to be so: an agent about to accept a
  // recovery code sees when the set was issued, and by whom.
  @HistoryRoute(':username/history', READS_ACCOUNTS, 'Every event of an account, in order, with actor and time (addition): code sets as their count, never a hash or a secret; `limit` and `after` page it')
  async history(@Param() { username }: UsernameParam, @Query() query: HistoryPageQuery) {
    return historyOrNotFound(this.queries, new GetStreamHistoryQuery(streams.account(username), requestedRange(query)), 'account');
  }

  @Post(':username/recovery-codes')
  @HttpCode(201)
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({ summary: 'A new set of 8 recovery codes, shown once; replaces the old set' })
  @Answers(201, 'RecoveryCodes')
  @Refuses(404)
  async generate(@Param() { username }: UsernameParam, @Meta() meta: CommandMeta) {
    const { codes, position } = await this.commands.execute(new IssueRecoveryCodesCommand(username, meta));
    return { codes, position };
  }

  @Post(':username/recovery-codes/import')
  @HttpCode(201)
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({ summary: 'Import bcrypt hashes of codes issued elsewhere; replaces the old set' })
  @Answers(201, 'CodesImported')
  @Refuses(404)
  async import(@Param() { username }: UsernameParam, @Body() body: ImportCodesDto, @Meta() meta: CommandMeta) {
    const canonical = body.hashes.map(canonicalBcryptHash);
    const errors = body.hashes.flatMap((hash, i) => {
      if (!isBcryptHash(hash)) return [{ field: `hashes.${i}`, message: `hashes.${i} must be a bcrypt hash ($2a$, $2b$ or $2y$)` }];
      const cost = bcryptCost(hash);
      if (cost < IMPORTED_HASH_COST.min || cost > IMPORTED_HASH_COST.max) {
        const why = cost < IMPORTED_HASH_COST.min || cost > 31 ? 'which bcrypt does not take: its code could never be used' : 'at which each code attempt would hold the server too long';
        return [{ field: `hashes.${i}`, message: `hashes.${i} has cost ${cost}, ${why}; imported hashes must have a cost from ${IMPORTED_HASH_COST.min} to ${IMPORTED_HASH_COST.max}` }];
      }
      // Two stored copies of one hash would be one code that can be used twice.
      const first = canonical.indexOf(canonical[i]!);
      return first < i ? [{ field: `hashes.${i}`, message: `hashes.${i} repeats hashes.${first}: each code is imported once` }] : [];
    });
    if (errors.length) {
      throw new ProblemError(problem(400, `Each hash must be a bcrypt hash ($2a$, $2b$ or $2y$) of cost ${IMPORTED_HASH_COST.min} to ${IMPORTED_HASH_COST.max}, of a different code.`, { errors }));
    }
    const { position } = await this.commands.execute(new IssueRecoveryCodesCommand(username, meta, body.hashes));
    return { imported: body.hashes.length, position };
  }

  @Post(':username/totp')
  @HttpCode(201)
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({ summary: 'Enrol TOTP (RFC 6238, SHA-1, 6 digits, 30 s); the secret is shown once' })
  @Answers(201, 'TotpEnrolment')
  @Refuses(404)
  async totp(@Param() { username }: UsernameParam, @Meta() meta: CommandMeta) {
    const { secret, otpauthUri, position } = await this.commands.execute(new EnrolTotpCommand(username, meta));
    return { secret, otpauthUri, position };
  }

  // A platform that enrolled its users in TOTP itself (most have) gives Reclaim the same secrets,
  // so that a code from the app they already use counts, as imported recovery codes do.
  @Post(':username/totp/import')
  @HttpCode(201)
  @Access({ roles: FEEDS_ACCOUNTS })
  @ApiOperation({ summary: 'Import the TOTP secret the platform enrolled its user with (addition): kept sealed, never shown again; replaces the one before' })
  @Answers(201, 'TotpImported')
  @Refuses(404)
  async importTotp(@Param() { username }: UsernameParam, @Body() { secret }: ImportTotpDto, @Meta() meta: CommandMeta) {
    const { position } = await this.commands.execute(new ImportTotpSecretCommand(username, secret, meta));
    return { imported: true, position };
  }
}
