import { MigrationInterface, QueryRunner } from 'typeorm';

export class ObjectDeletionCounts1796100000000 implements MigrationInterface {
  name = 'ObjectDeletionCounts1796100000000';

  async up(db: QueryRunner): Promise<void> {
    // No foreign key to users: a deletion job announces itself here before it takes the user's row lock, and a
    // foreign key check would make the announcement wait for that lock.
    await db.query(`
      CREATE TABLE object_deletion_counts (
        user_id INT UNSIGNED NOT NULL,
        started INT UNSIGNED NOT NULL DEFAULT 0,
        finished INT UNSIGNED NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE object_deletion_counts');
  }
}
