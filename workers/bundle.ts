/**
 * How the workflow bundle is built, wherever it is built: at worker start, in the image
 * (bin/bundle-workflows.ts), for the tests and for the benchmark.
 */
import type { BundleOptions } from '@temporalio/worker';

export const workflowBundleOptions = {
  workflowsPath: require.resolve('../workflows'),
  // Evaluated once per reusable V8 context and shared, instead of once per workflow: the
  // contract's zod schemas otherwise cost each cached workflow about 1 MB and their CPU to build
  // (BENCHMARKS.md). Shared modules are frozen, so the contract must hold no per-workflow state.
  preloadModules: [require.resolve('../contract')],
  // Hands each activity its record's fault plan, where the record has one (faults/).
  workflowInterceptorModules: [require.resolve('../faults/workflow-interceptors')],
  // The inline source map keeps its mappings, so a workflow's stack trace still names our files
  // and lines, but not the sources themselves: about 1 MB (zod's among them) that both of the
  // worker's threads would hold for as long as it runs, read only by an enhanced stack trace with
  // showStackTraceSources, which our workers leave off.
  webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-source-map' }),
} satisfies BundleOptions;
