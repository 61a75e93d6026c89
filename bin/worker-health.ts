/** The worker container's healthcheck: exit 0 when Temporal sees this host poll every queue it serves. */
import { runMain } from '../config/runtime';
import { checkWorkerHealth } from '../workers/health';

runMain(checkWorkerHealth);
