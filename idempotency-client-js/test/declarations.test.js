// No TypeScript compiler here: this checks that the declarations name exactly the module's
// exports, so the two cannot drift apart unseen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as module from '../idempotency.js';

test('idempotency.d.ts declares every export of idempotency.js, and nothing else', () => {
  const dts = readFileSync(new URL('../idempotency.d.ts', import.meta.url), 'utf8');
  const declared = [...dts.matchAll(/^export (?:class|function) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, Object.keys(module).sort());
});

test('package.json points at the module and its declarations', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.exports['.'].default, './idempotency.js');
  assert.equal(pkg.exports['.'].types, './idempotency.d.ts');
  assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
});
