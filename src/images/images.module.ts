import { Module, OnModuleInit } from '@nestjs/common';
import sharp from 'sharp';
import { AvatarImageRenderer } from './avatar-image.renderer';

@Module({
  providers: [AvatarImageRenderer],
  exports: [AvatarImageRenderer],
})
export class ImagesModule implements OnModuleInit {
  /** Every upload is a new file, so libvips' operation cache would only hold memory (up to 50 MB) for nothing. */
  onModuleInit(): void {
    sharp.cache(false);
  }
}
