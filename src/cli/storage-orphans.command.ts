import { Command, CommandRunner, Option } from 'nest-commander';
import { parseDuration } from './durations';
import { StorageOrphans } from './storage-orphans.service';

interface Options {
  delete?: boolean;
  olderThan?: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

@Command({
  name: 'storage:orphans',
  description: 'list (or --delete) stored objects nothing references: avatars/ no user has, incoming/ with no open ticket',
})
export class StorageOrphansCommand extends CommandRunner {
  constructor(private readonly orphans: StorageOrphans) {
    super();
  }

  async run(_: string[], options: Options): Promise<void> {
    const olderThanMs = options.olderThan ?? parseDuration('1h');
    const report = await this.orphans.sweep(new Date(Date.now() - olderThanMs), options.delete === true);
    for (const object of report.orphans) console.log(`${object.key}\t${object.size}\t${object.storedAt.toISOString()}`);
    const bytes = report.orphans.reduce((sum, object) => sum + object.size, 0);
    const found = `${report.orphans.length} orphan(s), ${mib(bytes)}, among ${report.scanned} object(s) under avatars/ and incoming/`;
    if (!options.delete) return console.log(`found ${found}; run again with --delete to remove them`);
    const spared = report.orphans.length - report.deleted;
    console.log(spared === 0 ? `deleted ${found}` : `found ${found}; deleted ${report.deleted}, ${spared} became an avatar again meanwhile`);
  }

  @Option({ flags: '--delete', description: 'delete the orphans instead of only listing them' })
  parseDelete(): boolean {
    return true;
  }

  @Option({
    flags: '--older-than <duration>',
    description: 'only objects stored longer ago than this (e.g. 30m, 6h, 2d; default 1h): uploads in flight store before they commit',
  })
  parseOlderThan(value: string): number {
    return parseDuration(value);
  }
}
