import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The workspace SDK resolves to its TypeScript sources (see client-sdk/package.json), and `#server-pages` to
  // the .tsx source, which vitest compiles itself (server processes load the build: package.json `imports`).
  resolve: { conditions: ['plaza-source', 'plaza-tsx'] },
  ssr: { resolve: { conditions: ['plaza-source', 'plaza-tsx'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Suites start real server processes; two files at a time suits a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
