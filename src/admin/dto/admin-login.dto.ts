import { IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

export class AdminLoginDto {
  /** Omit username and password to exchange the bearer token of the Authorization header instead. */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  username?: string;

  @ValidateIf((login: AdminLoginDto) => login.username !== undefined)
  @IsString()
  @MaxLength(256)
  password?: string;
}
