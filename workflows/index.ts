export { processRecord } from './processRecord';
export { reconcileRecords } from './reconcileRecords';
