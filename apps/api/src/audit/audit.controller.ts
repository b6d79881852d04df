import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { VerifyAuditQuery } from '@reclaim/projections';
import { IsOptional, Matches } from 'class-validator';
import { Access, AUDITS } from '../auth/access.decorator';
import { POSITION } from '../http/patterns';
import { Answers } from '../openapi/documented';

class VerifyQuery {
  @ApiPropertyOptional({ description: 'Check the log only up to this position, and answer its digest there (to compare with one recorded earlier).' })
  @IsOptional()
  @Matches(POSITION, { message: 'through must be a position: a decimal number' })
  through?: string;
}

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly queries: QueryBus) {}

  @Get('verify')
  @Access({ roles: AUDITS })
  @ApiOperation({ summary: 'Check the hash chain of every stream; names the first broken link, and answers the log digest' })
  @Answers(200, 'AuditReport')
  verify(@Query() { through }: VerifyQuery) {
    return this.queries.execute(new VerifyAuditQuery(through === undefined ? undefined : BigInt(through)));
  }
}
