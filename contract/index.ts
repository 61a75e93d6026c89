/**
 * The one module that the API, the workflow and the activities share: ids, statuses, the failure
 * catalog, the workflow's messages, every type the workflow and the activities exchange, and the
 * zod schemas of every boundary. It must stay deterministic because the workflow bundle imports it
 * (zod is pure JavaScript and safe there).
 */
export * from './api';
export * from './faults';
export * from './failures';
export * from './health';
export * from './ids';
export * from './record';
export * from './retry';
export * from './workflow';
