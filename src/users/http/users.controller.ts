import { Controller, Get, Param, ParseIntPipe, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUserId } from '../../auth/current-user-id.decorator';
import { JwtGuard } from '../../auth/jwt.guard';
import { MeDto, PublicUserDto } from '../dto/public-user.dto';
import { UsersService } from '../users.service';
import { ApiErrors } from '../../docs/api-errors';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** The caller's own profile. */
  @Get('me')
  @ApiErrors(401, 404)
  @ApiBearerAuth()
  @UseGuards(JwtGuard)
  me(@CurrentUserId() userId: number): Promise<MeDto> {
    return this.users.profile(userId);
  }

  /** Anyone's public profile. 404 when unknown. */
  @Get(':id')
  @ApiErrors(400, 404)
  findOne(@Param('id', ParseIntPipe) id: number): Promise<PublicUserDto> {
    return this.users.publicProfile(id);
  }
}
