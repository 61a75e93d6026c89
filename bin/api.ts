/** The HTTP API process (`npm run api`; `npm start` supervises it). */
import { startApi } from '../api/service';
import { loadConfig } from '../config';
import { runService } from '../config/runtime';

runService(() => startApi(loadConfig(process.env), process.env));
