// ESLint: typescript-eslint plus import boundaries.
//  - shared/ never imports services/;
//  - the pure libraries (shared/core/zipkin, shared/core/xray, shared/core/otlp, shared/core/avro, shared/core/span-record, shared/core/result) import no SDK, no I/O module (clocks, timers and randomness included), nothing of shared/edge
//    and nothing outside the pure set;
//  - one face per service: no file in services/ outside services/<name>/ imports anything of it but its
//    index.ts (docs/adr/0002-translator-face.md). Tests and benchmarks may reach inside (they test the units).
//    test/unit/eslint.config.test.ts lints deliberate violations to show each rule fails.
import { readdirSync } from 'node:fs';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const SDKS = ['kafkajs', 'ioredis', 'fastify', 'pino', 'prom-client', 'zod', '@aws-sdk/*', 'undici'];
// Every folder under services/ is a service with one face (a new service is covered without listing it).
const SERVICES = readdirSync(new URL('./services/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
const FACE_ZONES = SERVICES.map((name) => ({
  target: SERVICES.filter((other) => other !== name).map((other) => `./services/${other}`),
  from: `./services/${name}`,
  except: ['./index.ts'],
  message: `services/${name} has one face: import services/${name}/index.ts, nothing deeper`,
}));
const IO_MODULES = ['fs', 'fs/*', 'net', 'http', 'https', 'http2', 'tls', 'child_process', 'os', 'dgram', 'worker_threads', 'process', 'dns', 'cluster', 'readline',
  // clocks, timers and randomness are I/O too: time and ids are inputs of the pure core
  'crypto', 'perf_hooks', 'timers', 'timers/*'];
const IO = [...IO_MODULES, ...IO_MODULES.map((m) => `node:${m}`)];
const SHARED_NEVER_SERVICES = { target: './shared', from: './services', message: 'shared/ never imports services/' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.kafka/**', 'services/xray-local/console/dist/**', 'test-results/**', 'bench/.scratch/**', '.node-lts/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-duplicates': 'error',
      'import-x/no-self-import': 'error',
    },
  },
  {
    files: ['services/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: FACE_ZONES }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', {
        zones: [SHARED_NEVER_SERVICES],
      }],
    },
  },
  {
    files: ['shared/core/**/*.ts'],
    rules: {
      // flat config replaces a rule's options for these files: shared/'s zone is repeated here
      'import-x/no-restricted-paths': ['error', {
        zones: [SHARED_NEVER_SERVICES, { target: './shared/core', from: './shared/edge', message: 'pure libraries import only pure libraries (shared/core), never shared/edge' }],
      }],
      'no-restricted-imports': ['error', {
        patterns: [
          { group: SDKS, message: 'pure libraries import no SDK' },
          { group: IO, message: 'pure libraries do no I/O' },
          { group: ['../config/*', '../log/*', '../metrics/*', '../kafka/*', '../http/*', '../transport/*', '../errors/*'], message: 'pure libraries import only pure libraries' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'pure libraries read no env' },
        { name: 'performance', message: 'pure libraries read no clock' },
        { name: 'fetch', message: 'pure libraries do no I/O' },
        { name: 'crypto', message: 'pure libraries use no randomness: take ids as input' },
        ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'].map((name) => ({ name, message: 'pure libraries set no timers: the edges schedule' })),
      ],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'pure libraries read no clock: take nowMs as input' },
        { object: 'Math', property: 'random', message: 'pure libraries use no randomness: take ids as input' },
        ...['process', 'performance', 'crypto', 'fetch', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'Date'].map((property) => ({ object: 'globalThis', property, message: 'pure libraries do no I/O, read no clock or env, use no randomness' })),
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'pure libraries read no clock: take nowMs as input (new Date(ms) is fine)' },
        { selector: "CallExpression[callee.name='Date']", message: 'pure libraries read no clock: Date() is the current time as text' },
        { selector: 'ImportExpression', message: 'pure libraries import statically (a dynamic import escapes the import rules)' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
  },
);
