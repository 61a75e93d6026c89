/**
 * The bench's speed probe, a process of its own beside every throughput run: once a second the same
 * fixed work (dev/bench/machine.ts), one line of when and how many CPU milliseconds it took, until
 * stopped. About 7 ms a second, under 0.4 % of the two cores it shares with the run.
 */
import { fixedWorkMs } from '../bench/machine';

// The first rounds include V8 compiling the loop; every sample is of the compiled code.
for (let i = 0; i < 20; i++) fixedWorkMs();
setInterval(() => process.stdout.write(`${Date.now()} ${fixedWorkMs().toFixed(2)}\n`), 1_000);
