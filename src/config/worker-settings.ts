import { config as loadDotenv } from 'dotenv';
import { logLevelsFrom } from './queue.config';

// Decorator arguments (@Process concurrency) and the worker's logger exist before Nest's ConfigModule has run,
// so these two settings are read here, at import time. validateEnv still judges them when the worker boots.
loadDotenv();

export const workerSettings = {
  concurrency: Math.max(1, Number(process.env.WORKER_CONCURRENCY ?? 2) || 1),
  logLevels: logLevelsFrom(process.env.WORKER_LOG_LEVEL),
};
