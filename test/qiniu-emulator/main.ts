import { QiniuEmulator } from './qiniu-emulator';

const env = process.env;

async function main(): Promise<void> {
  const emulator = new QiniuEmulator({
    accessKey: env.QINIU_ACCESS_KEY || 'emulator-access-key',
    secretKey: env.QINIU_SECRET_KEY || 'emulator-secret-key',
    buckets: [{ name: env.QINIU_BUCKET || 'avatars', private: env.QINIU_PRIVATE_BUCKET === 'true' }],
    port: Number(env.QINIU_EMULATOR_PORT ?? 9400),
    host: env.QINIU_EMULATOR_HOST || '127.0.0.1',
  });
  const { host, port } = await emulator.start();
  console.log(`Qiniu emulator listening on http://${host}:${port} (bucket ${env.QINIU_BUCKET || 'avatars'}; admin at /_emulator/)`);
  const shutdown = () => void emulator.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
