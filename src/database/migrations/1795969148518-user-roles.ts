import { MigrationInterface, QueryRunner } from 'typeorm';

/** users.role: `admin` opens the queue dashboard and admin-only routes; made with `cli make-admin`. */
export class UserRoles1795969148518 implements MigrationInterface {
  name = 'UserRoles1795969148518';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN role ENUM('user','admin') NOT NULL DEFAULT 'user' AFTER password_hash`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE users DROP COLUMN role');
  }
}
