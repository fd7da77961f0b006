import { MigrationInterface, QueryRunner } from 'typeorm';

/** avatar_uploads.crop: the square the client chose travels with the row, so a re-driven job keeps it. */
export class UploadCrop1796000000000 implements MigrationInterface {
  name = 'UploadCrop1796000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE avatar_uploads ADD COLUMN crop JSON NULL AFTER direct_key');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE avatar_uploads DROP COLUMN crop');
  }
}
