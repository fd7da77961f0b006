// `npm run start:all`: the API and one worker from one terminal, for a first run or a demo.
// In production run `node dist/main` and `node dist/worker` as separate services instead.
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { environmentWithSharedJwtSecret } from './config/app.config';

const { env, generated } = environmentWithSharedJwtSecret();
if (generated) {
  console.warn('JWT_SECRET is not set: the API and worker share a random secret made for this run; tokens stop working when it ends');
}
const children: ChildProcess[] = ['main', 'worker'].map((entry) => fork(join(__dirname, `${entry}.js`), { env }));

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
for (const child of children) {
  child.on('exit', (code) => {
    stop('SIGTERM');
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(code ?? 0);
  });
}
