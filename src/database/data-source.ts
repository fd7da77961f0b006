// The DataSource for the TypeORM CLI (npm run migration:run / migration:generate).
import 'dotenv/config';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/database.config';
import { dataSourceOptions } from './data-source-options';

export default new DataSource(dataSourceOptions(databaseConfig()));
