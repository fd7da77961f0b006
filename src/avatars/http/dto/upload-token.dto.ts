import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Min, ValidateNested } from 'class-validator';
import { ACCEPTED_CONTENT_TYPES } from '../../../images/image-formats';
import { CropDto } from './crop.dto';

export class UploadTokenRequestDto {
  /** The type the client intends to upload; refused early when it is not an accepted image type. */
  @IsOptional()
  @IsIn(ACCEPTED_CONTENT_TYPES, { message: `contentType must be one of ${ACCEPTED_CONTENT_TYPES.join(', ')}` })
  contentType?: string;

  /** The size the client intends to upload, in bytes; refused early (413) when over the limit. */
  @IsOptional()
  @IsInt()
  @Min(1)
  size?: number;
}

export class UploadTokenDto {
  /** POST multipart/form-data here with the fields `token`, `key` and `file`. */
  uploadUrl: string;
  token: string;
  /** The only key this token may write. */
  key: string;
  expiresAt: Date;
  maxBytes: number;
  allowedTypes: string[];
}

export class ConfirmUploadDto {
  /** The square to use, in pixels of the uploaded image as displayed; without it AVATAR_CROP chooses. */
  @IsOptional()
  @ValidateNested()
  @Type(() => CropDto)
  crop?: CropDto;

  /** The key from the upload token. */
  @IsString()
  @Matches(/^incoming\/\d+\/[0-9a-f-]{36}$/, { message: 'key must be a key issued by POST /users/me/avatar/upload-token' })
  key: string;
}
