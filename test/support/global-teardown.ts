import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.stopTestDatabase?.();
  if (globalThis.testScratchDir) rmSync(globalThis.testScratchDir, { recursive: true, force: true });
}
