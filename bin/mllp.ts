/**
 * The MLLP listener as a process of its own (`npm run mllp`; `npm start` supervises it): a crash
 * or a flood of HL7 traffic does not take the HTTP API with it, and the supervisor restarts it.
 */
import { loadConfig } from '../config';
import { runService } from '../config/runtime';
import { startMllp } from '../mllp/service';

runService(() => startMllp(loadConfig(process.env)));
