import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CreateStaffCommand, STAFF_ROLES, type CommandMeta, type StaffRole } from '@reclaim/recovery';
import { IsIn, IsString, Length } from 'class-validator';
import { Access, ADMINISTERS } from '../auth/access.decorator';
import { Meta } from '../http/command-meta.decorator';

class CreateStaffDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES, { message: `role must be one of ${STAFF_ROLES.join(', ')}` })
  role!: StaffRole;
}

@ApiTags('staff')
@ApiBearerAuth()
@Controller('v1/staff')
export class StaffController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @Access({ roles: ADMINISTERS })
  @ApiOperation({ summary: 'Create a staff member; the token is shown once and stored hashed' })
  create(@Body() body: CreateStaffDto, @Meta() meta: CommandMeta) {
    return this.commands.execute(new CreateStaffCommand(body.name, body.role, meta));
  }
}
