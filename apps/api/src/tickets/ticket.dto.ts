import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RECOVERY_REASONS, type RecoveryReason } from '@reclaim/recovery';
import { REJECTION_REASONS, type TicketState } from '@reclaim/state-machines';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, isString, Length, length, Matches, MaxLength, Min } from 'class-validator';
import { EachEmail, EachPackage, ID, IsEmailAddress, IsInstant, IsStaffId, IsText, IsUsername, TOTP_CODE } from '../http/patterns';
import { CursorPageQuery } from '../http/cursor-page';
import { ReasonFilter, StateFilter } from '../http/ticket-filters';
import { entryMessage } from '../http/validation';

class EvidenceCodes {
  // Codes made here are 16 hex characters; imported ones are in the form their platform issued
  // (bcrypt reads at most 72 bytes).
  @ApiPropertyOptional({ description: 'A recovery code of the account: 16 hexadecimal characters, or a code imported from the platform as it issued it.', example: '3f9a0c1d2b4e5f60' })
  @IsOptional()
  @IsString()
  @Length(1, 64, { message: 'recoveryCode must be 1 to 64 characters' })
  recoveryCode?: string;

  @ApiPropertyOptional({ description: 'A current TOTP code of the account: 6 digits, together or in two groups of three (`123 456`).', example: '123456' })
  @IsOptional()
  @IsString()
  @Matches(TOTP_CODE, { message: 'totpCode must be 6 digits, together or in two groups of three' })
  totpCode?: string;
}

export class SubmitTicketDto extends EvidenceCodes {
  @ApiProperty({ example: 'zoe' })
  @IsString()
  @IsUsername()
  username!: string;

  @ApiProperty({ description: 'Where the requester can be reached now.', example: 'zoe@example.org' })
  @IsString()
  @MaxLength(254)
  @IsEmailAddress()
  contactEmail!: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @EachEmail()
  previousEmails?: string[];

  @ApiProperty({ enum: RECOVERY_REASONS })
  @IsIn(RECOVERY_REASONS, { message: `reason must be one of ${RECOVERY_REASONS.join(', ')}` })
  reason!: (typeof RECOVERY_REASONS)[number];

  @ApiProperty({ maxLength: 5000 })
  @IsString()
  @IsText(5000)
  explanation!: string;

  @ApiPropertyOptional({ type: [String], description: 'Packages the requester maintains, as proof of knowledge.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @EachPackage()
  packages?: string[];
}

export class ReplyDto extends EvidenceCodes {
  @ApiProperty({ maxLength: 5000 })
  @IsString()
  @IsText(5000)
  message!: string;
}

export class WithdrawDto {
  @ApiPropertyOptional({ maxLength: 5000, description: 'Why, for staff (got back in, filed by mistake).' })
  @IsOptional()
  @IsString()
  @IsText(5000)
  message?: string;
}

export class AssignDto {
  @ApiPropertyOptional({ description: 'Staff id; omit to claim the ticket yourself.' })
  @IsOptional()
  @IsString()
  @IsStaffId()
  assignee?: string;
}

export class ReleaseDto {
  @ApiPropertyOptional({ description: 'Staff id of the holder; omit to give back your own ticket.' })
  @IsOptional()
  @IsString()
  @IsStaffId()
  from?: string;
}

export class RequestInfoDto {
  @ApiProperty({ maxLength: 2000 })
  @IsString()
  @IsText(2000)
  question!: string;
}

// A decision records what it rests on and why: compliance reviews read both, so neither may be empty.
export class VerifyDto {
  @ApiProperty({ type: [String], minItems: 1, description: 'What the decision rests on.' })
  @IsArray()
  @ArrayMinSize(1, { message: 'evidence must name at least one item the decision rests on' })
  @ArrayMaxSize(20)
  @IsString({ each: true, message: entryMessage('must be a string', (entry) => !isString(entry)) })
  @Length(1, 200, { each: true, message: entryMessage('must be 1 to 200 characters', (entry) => !length(entry, 1, 200)) })
  evidence!: string[];

  @ApiProperty({ minLength: 1, maxLength: 5000 })
  @IsString()
  @IsText(5000)
  note!: string;
}

export class RejectDto {
  @ApiProperty({ enum: REJECTION_REASONS })
  @IsIn(REJECTION_REASONS, { message: `reason must be one of ${REJECTION_REASONS.join(', ')}` })
  reason!: string;

  @ApiProperty({ minLength: 1, maxLength: 5000 })
  @IsString()
  @IsText(5000)
  note!: string;
}

/** A rejection of every open ticket of one username. */
export class RejectOpenDto extends RejectDto {
  @ApiProperty({ description: 'The username whose open tickets are rejected (compared exactly, as usernames are).', example: 'zoe' })
  @IsString()
  @IsUsername()
  username!: string;
}

export class NoteDto {
  @ApiProperty({ maxLength: 5000 })
  @IsString()
  @IsText(5000)
  body!: string;
}

export class TicketQueryDto {
  @ApiPropertyOptional({
    description: 'Staff only: the ticket as it stood at this time: RFC 3339 (ISO-8601 with its offset), or a date for its start in UTC.',
    example: '2026-11-27T14:00:00Z',
  })
  @IsOptional()
  @IsInstant()
  at?: string;
}

/** `GET /v1/tickets`: staff finding tickets; no filter lists every ticket. */
export class FindTicketsDto extends CursorPageQuery {
  @ApiPropertyOptional({ description: 'Only the tickets filed under this username (compared exactly, as usernames are).', example: 'zoe' })
  @IsOptional()
  @IsString()
  @IsUsername()
  username?: string;

  @ApiPropertyOptional({ description: 'Only the ticket with this number, as its requester was told it.', minimum: 1, example: 1042 })
  @IsOptional()
  // Only digits count as a number, as for `limit`.
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value))
  @Min(1, { message: 'ticketNumber must be a ticket number: a whole number from 1' })
  @IsInt({ message: 'ticketNumber must be a ticket number: a whole number from 1' })
  ticketNumber?: number;

  @ApiPropertyOptional({ description: 'Only the tickets whose requester gave this contact address (compared without case), as when a requester writes to support from it.', example: 'zoe@example.org' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmailAddress()
  contactEmail?: string;

  // A team lead's look at one kind of request across the lifecycle, or at the questions still open.
  @ReasonFilter()
  reason?: RecoveryReason;

  @StateFilter()
  state?: TicketState;

  // A lead's look at one person's work: what to hand on when they are away, or what they decided.
  @ApiPropertyOptional({ description: 'Only the tickets this staff member holds, or held when they were decided (addition).' })
  @IsOptional()
  @IsString()
  @IsStaffId()
  assignee?: string;
}

export class TicketIdParam {
  @ApiProperty({ description: 'The ticket id, as the submission answered it.' })
  @IsString()
  @Matches(ID, { message: 'id must be a ticket id' })
  id!: string;
}
