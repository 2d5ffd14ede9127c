// The one closed list of problem codes (src/kernel/problems.ts) and its documentation
// (docs/problems.md) must stay identical in both directions, like Fastify's errors and docs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PROBLEMS, Problem, isProblemCode } from '../../src/kernel/index.ts';

const DOC = new URL('../../docs/problems.md', import.meta.url);

interface DocumentedCode {
  readonly code: string;
  readonly status: number;
  readonly meaning: string;
  readonly todo: string;
}

/** The rows of the `| code | status | meaning | what to do |` table. */
function documentedCodes(markdown: string): DocumentedCode[] {
  const rows = markdown
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  assert.deepEqual(rows[0], ['code', 'status', 'meaning', 'what to do'], 'table header');
  return rows.slice(2).map(([code = '', status = '', meaning = '', todo = '']) => ({
    code,
    status: Number(status),
    meaning,
    todo,
  }));
}

const documented = documentedCodes(readFileSync(DOC, 'utf8'));

test('every code in PROBLEMS is documented once, with the same status and title', () => {
  for (const [code, { status, title }] of Object.entries(PROBLEMS)) {
    const rows = documented.filter((row) => row.code === code);
    assert.equal(rows.length, 1, `${code} documented ${rows.length} times in docs/problems.md`);
    assert.equal(rows[0]!.status, status, `${code} status`);
    assert.equal(rows[0]!.meaning, title, `${code} meaning is its title`);
  }
});

test('every documented code exists, and says what it means and what to do', () => {
  for (const row of documented) {
    assert.ok(isProblemCode(row.code), `docs/problems.md documents unknown code ${row.code}`);
    assert.ok(row.meaning.length > 0, `${row.code} has no meaning`);
    assert.ok(row.todo.length > 0, `${row.code} says nothing about what to do`);
  }
  assert.equal(documented.length, Object.keys(PROBLEMS).length);
});

test('statuses are HTTP error statuses, and codes are SCREAMING_SNAKE_CASE', () => {
  for (const [code, { status, title }] of Object.entries(PROBLEMS)) {
    assert.match(code, /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
    assert.ok(status >= 400 && status <= 599, `${code}: ${status}`);
    assert.ok(title.length > 0);
  }
});

test('isProblemCode knows only the listed codes', () => {
  assert.equal(isProblemCode('INSZ_CHECKSUM'), true);
  assert.equal(isProblemCode('insz_checksum'), false);
  assert.equal(isProblemCode('toString'), false); // not fooled by Object.prototype
  assert.equal(isProblemCode(''), false);
});

test('a Problem carries its code, the status from the table, its detail and extra members', () => {
  const problem = new Problem('EXCLUSIVITY_CONFLICT', 'capacity 1 is exclusive', {
    conflicting: { id: 'r1' },
  });
  assert.ok(problem instanceof Error);
  assert.equal(problem.name, 'Problem');
  assert.equal(problem.code, 'EXCLUSIVITY_CONFLICT');
  assert.equal(problem.status, 409);
  assert.equal(problem.detail, 'capacity 1 is exclusive');
  assert.equal(problem.message, 'capacity 1 is exclusive');
  assert.deepEqual(problem.extra, { conflicting: { id: 'r1' } });
});

test('without a detail, a Problem takes its title as message and has no extra members', () => {
  const problem = new Problem('RATE_LIMITED');
  assert.equal(problem.status, 429);
  assert.equal(problem.detail, undefined);
  assert.equal(problem.message, PROBLEMS.RATE_LIMITED.title);
  assert.deepEqual(problem.extra, {});
});
