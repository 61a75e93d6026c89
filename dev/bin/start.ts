/** `npm start [-- --topology production]`: the whole system under one supervisor (dev/local-stack.ts). */
import { runMain } from '../../config/runtime';
import { runLocalStack } from '../local-stack';

runMain(() => runLocalStack(process.argv.slice(2)));
