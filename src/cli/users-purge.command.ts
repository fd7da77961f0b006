import { Command, CommandRunner } from 'nest-commander';
import { UserPurge } from './user-purge.service';

@Command({
  name: 'users:purge',
  arguments: '<id>',
  description: 'delete a user with everything stored for them: rows, avatar and temporary objects, staged files, queued jobs',
})
export class UsersPurgeCommand extends CommandRunner {
  constructor(private readonly purge: UserPurge) {
    super();
  }

  async run([id]: string[]): Promise<void> {
    if (!/^\d+$/.test(id)) throw new Error(`the user id must be a number, not "${id}"`);
    const report = await this.purge.purge(Number(id));
    const who = report.username === null ? `user ${report.userId} (row already gone)` : `user ${report.userId} (${report.username})`;
    console.log(
      `purged ${who}: ${report.uploads} upload row(s), ${report.objects} stored object(s), ` +
        `${report.stagedFiles} staged file(s), ${report.jobsRemoved} queued job(s)`,
    );
  }
}
