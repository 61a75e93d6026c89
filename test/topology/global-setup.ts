/**
 * Provisions the production topology's binaries before any test's clock starts: from the tool
 * cache when their sha256 is the pinned one, else built by `go install` (dev/provision.ts).
 */
import { ensureGoTool } from '../../dev/provision';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[provision] ${line}\n`);
  for (const tool of ['temporal-server', 'temporal-sql-tool'] as const) log(`${tool}: ${await ensureGoTool(tool, log)}`);
  log(`the production topology's binaries ready in ${Math.round((Date.now() - started) / 1000)} s`);
}
