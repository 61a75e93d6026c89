/** What a `crash` and a `timeout` fault really do; tests that cannot lose their process swap the crash. */
export interface FaultHooks {
  /** Ends the worker process at once, as a real crash would; its supervisor restarts it. */
  crash: () => never | void;
  /** Waits as a hung call would, for as long as it is given. */
  hang: (ms: number) => Promise<void>;
}

export const processFaultHooks: FaultHooks = {
  crash: () => process.kill(process.pid, 'SIGKILL'),
  hang: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
