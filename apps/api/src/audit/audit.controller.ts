import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { VerifyAuditQuery } from '@reclaim/projections';
import { Access, AUDITS } from '../auth/access.decorator';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly queries: QueryBus) {}

  @Get('verify')
  @Access({ roles: AUDITS })
  @ApiOperation({ summary: 'Check the hash chain of every stream; names the first broken link' })
  verify() {
    return this.queries.execute(new VerifyAuditQuery());
  }
}
