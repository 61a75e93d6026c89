/** The worker process (`npm run worker`; `npm start` supervises it). */
import { loadConfig } from '../config';
import { runMain } from '../config/runtime';
import { runWorkerProcess } from '../workers/process';

runMain(() => runWorkerProcess(loadConfig(process.env)));
