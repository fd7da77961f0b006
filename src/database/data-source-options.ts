import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config/database.config';
import { AvatarUpload } from '../avatars/avatar-upload.entity';
import { DirectUploadTicketRecord } from '../avatars/direct-upload-ticket.entity';
import { ObjectDeletionCount } from '../avatars/object-deletion-count.entity';
import { User } from '../users/user.entity';
import { Init1764300000000 } from './migrations/1764300000000-init';
import { UserRoles1795969148518 } from './migrations/1795969148518-user-roles';
import { UploadCrop1796000000000 } from './migrations/1796000000000-upload-crop';
import { ObjectDeletionCounts1796100000000 } from './migrations/1796100000000-object-deletion-counts';

export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  return {
    type: 'mysql',
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    database: config.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    entities: [User, AvatarUpload, DirectUploadTicketRecord, ObjectDeletionCount],
    migrations: [Init1764300000000, UserRoles1795969148518, UploadCrop1796000000000, ObjectDeletionCounts1796100000000],
    synchronize: false,
    // A connection attempt to a MySQL that is down or unreachable fails within 2 s instead of the driver's 10 s.
    extra: { connectionLimit: 10, connectTimeout: 2000 },
  };
}
