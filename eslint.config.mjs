import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

// Workflow code must replay identically: no Node built-ins, no I/O libraries, only the workflow SDK,
// Temporal's common types, zod (pure) and the shared contract and activity *types*.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// What runs in production. It never reaches into development tooling, tests or entry points, so the
// production image can leave them out.
const PRODUCT = ['activities', 'api', 'audit', 'billing', 'config', 'contract', 'db', 'faults', 'ingest', 'metrics', 'mllp', 'ops', 'providers', 'reconcile', 'telemetry', 'temporal', 'workers', 'workflows'];
// Bundled with the workflows (workers/bundle.ts), so held to the workflow rules.
const WORKFLOW_CODE = ['workflows/**/*.ts', 'faults/workflow-interceptors.ts', 'faults/transport.ts'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'prisma/generated/**', '.data/**', 'dist/**', 'test/artifacts/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: PRODUCT.map((dir) => `./${dir}`), from: ['./dev', './test', './bin'], message: 'product code never imports development tooling, tests or entry points' },
            { target: './dev', from: ['./test', './bin', './dev/bin'], message: 'development tooling never imports tests or entry points' },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      // Interfaces that return promises are implemented by functions with nothing to await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // Tests read JSON answers whose shape they then assert.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Entry points are thin: they call into a module and export nothing, so nothing imports them.
    files: ['bin/**/*.ts', 'dev/bin/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportNamedDeclaration, ExportDefaultDeclaration, ExportAllDeclaration', message: 'an entry point exports nothing: move what others need into a module' },
      ],
    },
  },
  {
    files: WORKFLOW_CODE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflow code is deterministic: no Node built-ins' })),
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)$|zod$|(\\.\\./)+contract$|\\.\\./activities$|\\./)',
              message: 'workflow code imports only @temporalio/workflow, @temporalio/common, zod and the shared contract',
            },
            {
              group: ['../contract', '../../contract'],
              importNamePattern: '^(?!make)\\w*Schema$',
              message: 'the contract is preloaded and frozen in the workflow bundle, where a module-level zod schema fails on first use: build one with make*Schema()',
            },
          ],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./activities', allowTypeImports: true, message: 'workflows import activity types only (import type)' }] },
      ],
    },
  },
);
