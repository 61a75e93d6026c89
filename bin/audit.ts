/**
 * `npm run audit`: prints the JSON report on stdout and a short summary on stderr; exit 1 on any
 * violation. Against DATABASE_URL and TEMPORAL_ADDRESS (the embedded defaults of `npm start`).
 */
import { loadConfig } from '../config';
import { databaseUrlOrLocal, runMain } from '../config/runtime';
import { createDb } from '../db/client';
import { connectClient } from '../temporal/client';
import { runAudit, summarise } from '../audit';

runMain(async () => {
  const config = loadConfig(process.env);
  const db = createDb(databaseUrlOrLocal(config));
  const temporal = await connectClient(config.temporal);
  try {
    const report = await runAudit(db, temporal);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`${summarise(report)}\n`);
    process.exitCode = report.violations.length > 0 ? 1 : 0;
  } finally {
    await temporal.connection.close();
    await db.$disconnect();
  }
});
