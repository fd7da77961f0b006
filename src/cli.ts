import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli/cli.module';

/** `node dist/cli <command>` (or `npm run cli -- <command>`): the operator's commands, against the configured deployment. */
async function main(): Promise<void> {
  await CommandFactory.run(CliModule, {
    logger: ['error', 'warn'],
    serviceErrorHandler: (error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    },
  });
}
void main();
