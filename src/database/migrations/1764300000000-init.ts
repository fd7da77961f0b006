import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1764300000000 implements MigrationInterface {
  name = 'Init1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id INT UNSIGNED NOT NULL AUTO_INCREMENT,
        username VARCHAR(32) NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        avatar_url VARCHAR(1024) NULL,
        avatar JSON NULL,
        avatar_upload_id CHAR(36) NULL,
        avatar_uploaded_at DATETIME(6) NULL,
        avatar_updated_at DATETIME(6) NULL,
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        PRIMARY KEY (id),
        UNIQUE KEY uq_users_username (username)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await db.query(`
      CREATE TABLE avatar_uploads (
        id CHAR(36) NOT NULL,
        user_id INT UNSIGNED NOT NULL,
        source ENUM('server','direct') NOT NULL,
        status ENUM('queued','processing','done','failed') NOT NULL,
        checksum CHAR(64) NULL,
        size INT UNSIGNED NULL,
        content_type VARCHAR(64) NULL,
        staged_path VARCHAR(1024) NULL,
        direct_key VARCHAR(512) NULL,
        storage_key VARCHAR(512) NULL,
        images JSON NULL,
        placeholder VARCHAR(255) NULL,
        width INT UNSIGNED NULL,
        height INT UNSIGNED NULL,
        error VARCHAR(1024) NULL,
        attempts INT UNSIGNED NOT NULL DEFAULT 0,
        job_id VARCHAR(64) NULL,
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        started_at DATETIME(6) NULL,
        finished_at DATETIME(6) NULL,
        updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        PRIMARY KEY (id),
        KEY idx_avatar_uploads_user (user_id, created_at),
        KEY idx_avatar_uploads_status (status, finished_at),
        CONSTRAINT fk_avatar_uploads_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await db.query(`
      CREATE TABLE direct_upload_tickets (
        object_key VARCHAR(255) NOT NULL,
        user_id INT UNSIGNED NOT NULL,
        max_bytes INT UNSIGNED NOT NULL,
        expires_at DATETIME(6) NOT NULL,
        upload_id CHAR(36) NULL,
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        PRIMARY KEY (object_key),
        KEY idx_direct_upload_tickets_user (user_id),
        CONSTRAINT fk_direct_upload_tickets_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE direct_upload_tickets');
    await db.query('DROP TABLE avatar_uploads');
    await db.query('DROP TABLE users');
  }
}
