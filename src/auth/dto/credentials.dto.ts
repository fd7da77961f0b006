import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class CredentialsDto {
  /** 3–32 characters of letters, digits, `_`, `.` and `-`. */
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{3,32}$/, { message: 'username must be 3-32 characters of letters, digits, _ . -' })
  username: string;

  /** At least 8 characters. */
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password: string;
}
