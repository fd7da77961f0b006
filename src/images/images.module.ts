import { Module } from '@nestjs/common';
import { AvatarImageRenderer } from './avatar-image.renderer';

@Module({
  providers: [AvatarImageRenderer],
  exports: [AvatarImageRenderer],
})
export class ImagesModule {}
