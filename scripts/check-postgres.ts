// CI: checks that a PostgreSQL server answers at the given URL and may create databases (exit 1
// when not), so the store suites run on PostgreSQL for real instead of being skipped.
import pg from 'pg';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
try {
  await client.connect();
  const { rows } = await client.query<{ version: string; createdb: boolean }>(
    'select version() as version, (select rolcreatedb or rolsuper from pg_roles where rolname = current_user) as createdb',
  );
  if (!rows[0]?.createdb) throw new Error('the user may not create databases');
  console.log(`PostgreSQL at ${new URL(url).host}: ${rows[0].version.split(' on ')[0]}`);
  await client.end();
} catch (error) {
  console.error(`PostgreSQL at ${url} is not available: ${String(error)}`);
  process.exit(1);
}
