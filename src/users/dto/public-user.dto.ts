export class AvatarDto {
  /** WebP variants by edge length in pixels, e.g. `{"512": url, "256": url}`. */
  variants: Record<string, string>;
  /** AVIF variants by edge length, when AVATAR_FORMATS=webp,avif. */
  avif?: Record<string, string>;
  /** The largest size as JPEG, for clients without WebP. */
  jpeg: string;
  /** The original upload (metadata stripped), when AVATAR_KEEP_ORIGINAL=true. */
  original?: string;
  /** A ThumbHash (base64) to paint while the image loads. */
  placeholder: string;
  /** Width of the uploaded image, after EXIF orientation. */
  width: number;
  height: number;
  updatedAt: Date;
}

export class PublicUserDto {
  id: number;
  username: string;
  /** URL of the largest WebP variant; null until an avatar is set. */
  avatarUrl: string | null;
  avatar: AvatarDto | null;
}

export class MeDto extends PublicUserDto {
  createdAt: Date;
}
