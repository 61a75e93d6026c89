/** `npm start`: the whole system on embedded defaults under one supervisor (dev/local-stack.ts). */
import { runMain } from '../../config/runtime';
import { runLocalStack } from '../local-stack';

runMain(runLocalStack);
