export { processRecord } from './processRecord';
