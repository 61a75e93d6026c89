export { processRecord } from './processRecord';
export { reconcileRecords } from './reconcileRecords';
export { inferenceHealth } from './inferenceHealth';
