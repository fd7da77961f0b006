// `npm run migration:run` / `node dist/database/migrate`: what every process does on start-up, on its own,
// for deployments that prefer to migrate in a separate step.
import 'dotenv/config';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/database.config';
import { ensureDatabaseExists, runMigrationsExclusively } from './database-bootstrap';
import { dataSourceOptions } from './data-source-options';

async function migrate(): Promise<void> {
  const config = databaseConfig();
  await ensureDatabaseExists(config);
  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    await runMigrationsExclusively(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: Error) => {
  console.error(`migration failed: ${error.message}`);
  process.exitCode = 1;
});
