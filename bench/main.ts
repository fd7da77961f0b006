import * as authFlood from './auth-flood.bench';
import * as imageStep from './image-step.bench';
import * as scale from './scale.bench';
import * as scanBomb from './scan-bomb.bench';
import * as uploadBurst from './upload-burst.bench';

/** Every bench, run in order; add yours here. Benches report, they never assert. */
const BENCHES: Record<string, { run(): Promise<void> }> = {
  'image-step': imageStep,
  'upload-burst': uploadBurst,
  'auth-flood': authFlood,
  scale,
  'scan-bomb': scanBomb,
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const [name, bench] of Object.entries(BENCHES)) {
    if (only.length > 0 && !only.includes(name)) continue;
    console.log(`\n# ${name}`);
    await bench.run();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
