import { registerAs } from '@nestjs/config';

export const databaseConfig = registerAs('database', () => {
  const url = new URL(process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/avatar_pipeline');
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, '') || 'avatar_pipeline',
  };
});

export type DatabaseConfig = ReturnType<typeof databaseConfig>;
