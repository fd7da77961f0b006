import { Command, CommandRunner, Option } from 'nest-commander';
import { parseSince } from './durations';
import { FailedUploadRetry, RetryFilter } from './failed-upload-retry.service';

@Command({
  name: 'uploads:retry-failed',
  description: 're-enqueue failed uploads whose file is still there, each under a fresh job id',
})
export class UploadsRetryFailedCommand extends CommandRunner {
  constructor(private readonly retries: FailedUploadRetry) {
    super();
  }

  async run(_: string[], options: { since?: Date; user?: number }): Promise<void> {
    const filter: RetryFilter = { since: options.since, userId: options.user };
    const report = await this.retries.retry(filter);
    for (const { uploadId, jobId } of report.retried) console.log(`re-enqueued ${uploadId} as job ${jobId}`);
    for (const uploadId of report.sourceGone) console.log(`skipped ${uploadId}: its file is gone (upload again)`);
    const scope = [filter.since ? `since ${filter.since.toISOString()}` : '', filter.userId !== undefined ? `of user ${filter.userId}` : '']
      .filter(Boolean)
      .join(' ');
    console.log(
      `re-enqueued ${report.retried.length} failed upload(s)${scope ? ` ${scope}` : ''}; ` +
        `${report.sourceGone.length} skipped (file gone), ${report.changedMeanwhile.length} changed meanwhile`,
    );
  }

  @Option({ flags: '--since <when>', description: 'only uploads that failed since then: an ISO date, or a duration back from now (6h, 2d)' })
  parseSince(value: string): Date {
    return parseSince(value);
  }

  @Option({ flags: '--user <id>', description: "only this user's uploads" })
  parseUser(value: string): number {
    if (!/^[1-9]\d*$/.test(value)) throw new Error(`--user must be a user id, not "${value}"`);
    return Number(value);
  }
}
