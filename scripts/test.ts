// `npm test`: the whole suite on SQLite, then the whole suite again on PostgreSQL when
// CROSSROADS_TEST_PG_URL names a server (each hub of that pass gets a fresh database, dropped
// afterwards). Extra arguments are test files, instead of all of them.
import { spawnSync } from 'node:child_process';

const files = process.argv.slice(2);
const args = ['--test', '--test-concurrency=2', ...(files.length > 0 ? files : ['test/**/*.test.ts'])];
const passes: { engine: string; env: NodeJS.ProcessEnv }[] = [
  { engine: 'sqlite', env: { ...process.env, CROSSROADS_TEST_ENGINE: 'sqlite' } },
];
if (process.env.CROSSROADS_TEST_PG_URL) {
  passes.push({ engine: 'postgres', env: { ...process.env, CROSSROADS_TEST_ENGINE: 'postgres' } });
} else {
  console.log(
    '# PostgreSQL pass skipped: set CROSSROADS_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)',
  );
}

let failed = false;
for (const pass of passes) {
  console.log(`# ---- test pass on ${pass.engine} ----`);
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: pass.env });
  if (result.status !== 0) {
    failed = true;
    console.log(`# test pass on ${pass.engine} FAILED (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed ? 1 : 0);
