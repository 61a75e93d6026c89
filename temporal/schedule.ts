import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';

/**
 * A Schedule created at worker start; a second worker (or a restart) finds it there and changes
 * nothing. A run still going when the next is due is skipped, never stacked.
 */
export async function ensureSchedule(temporal: Client, options: ScheduleOptions): Promise<'created' | 'exists'> {
  try {
    await temporal.schedule.create({ ...options, policies: { overlap: ScheduleOverlapPolicy.SKIP, ...options.policies } });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
