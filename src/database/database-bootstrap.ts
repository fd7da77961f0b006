import { Logger } from '@nestjs/common';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { DatabaseConfig } from '../config/database.config';

const logger = new Logger('Database');
const MIGRATION_LOCK = 'avatar_pipeline_migrations';

/** A fresh MySQL server needs no manual step: the database is created when missing. */
export async function ensureDatabaseExists(config: DatabaseConfig): Promise<void> {
  const connection = await createConnection({
    host: config.host,
    port: config.port,
    user: config.username,
    password: config.password,
  });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${connection.escapeId(config.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/** API replicas and workers start together; a named lock lets exactly one of them migrate at a time. */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = await runner.query('SELECT GET_LOCK(?, 120) AS locked', [MIGRATION_LOCK]);
    if (Number(locked) !== 1) throw new Error('timed out waiting for the migration lock');
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) logger.log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await runner.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
