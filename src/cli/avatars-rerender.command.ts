import { Inject } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Command, CommandRunner, Option } from 'nest-commander';
import { avatarConfig } from '../config/avatar.config';
import { AvatarRerender, RerenderResult } from './avatar-rerender.service';
import { ProgressBar } from './progress-bar';

interface Options {
  user?: number;
  limit?: number;
  restart?: boolean;
}

const positiveInteger = (flag: string, value: string): number => {
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`${flag} must be a positive integer, not "${value}"`);
  return Number(value);
};

@Command({
  name: 'avatars:rerender',
  description: "re-render current avatars with today's AVATAR_SIZES / AVATAR_FORMATS; resumes an interrupted run",
})
export class AvatarsRerenderCommand extends CommandRunner {
  constructor(
    private readonly rerender: AvatarRerender,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
  ) {
    super();
  }

  async run(_: string[], options: Options): Promise<void> {
    const plan = await this.rerender.plan(options.user, options.restart === true);
    if (plan.resumeAfter > 0) process.stderr.write(`resuming an interrupted run after user ${plan.resumeAfter} (--restart starts over)\n`);
    const planned = Math.min(plan.total, options.limit ?? Infinity);
    const progress = new ProgressBar(planned, 'avatars:rerender');
    const results: RerenderResult[] = [];
    for await (const result of this.rerender.run(plan, options.limit)) {
      results.push(result);
      progress.tick(`user ${result.userId}`);
    }
    const count = (outcome: RerenderResult['outcome']) => results.filter((result) => result.outcome === outcome).length;
    const failed = results.filter((result) => result.outcome === 'failed');
    const left = plan.total - results.length;
    console.log(
      `re-rendered ${count('rerendered')} avatar(s) with sizes ${this.config.sizes.join(',')} (${this.config.formats.join(', ')}, JPEG); ` +
        `${count('superseded')} changed meanwhile, ${failed.length} failed` +
        (left > 0 && plan.userId === undefined ? `; ${left} left: run again to resume after user ${results.at(-1)?.userId ?? plan.resumeAfter}` : ''),
    );
    for (const { userId, reason } of failed) console.log(`failed: user ${userId}: ${reason}`);
    if (failed.length > 0) process.exitCode = 1;
  }

  @Option({ flags: '--user <id>', description: 'only this user' })
  parseUser(value: string): number {
    return positiveInteger('--user', value);
  }

  @Option({ flags: '--limit <count>', description: 'stop after this many avatars (the next run resumes after them)' })
  parseLimit(value: string): number {
    return positiveInteger('--limit', value);
  }

  @Option({ flags: '--restart', description: "ignore an interrupted run's checkpoint and start from the first user" })
  parseRestart(): boolean {
    return true;
  }
}
