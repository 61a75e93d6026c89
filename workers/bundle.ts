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
  // and lines, but not the sources themselves: 1.4 of the bundle's 2.9 MB (zod's among them), which
  // each worker thread would load and keep, for an enhanced stack trace with showStackTraceSources
  // alone, which our workers leave off.
  webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-source-map' }),
} satisfies BundleOptions;
