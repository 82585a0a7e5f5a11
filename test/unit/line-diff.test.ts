import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countEditLines, countLineChanges } from '../../src/processing/database/lineDiff';
import { rng } from '../../bench/corpus';

/** What `git diff --numstat` says for two whole texts. */
function gitNumstat(oldText: string, newText: string): { added: number; removed: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-diff-'));
  try {
    writeFileSync(path.join(dir, 'a'), oldText);
    writeFileSync(path.join(dir, 'b'), newText);
    let out = '';
    try {
      out = execFileSync('git', ['diff', '--no-index', '--numstat', 'a', 'b'], { cwd: dir, encoding: 'utf8' });
    } catch (err) {
      out = (err as { stdout: string }).stdout; // exit 1 means "differences found"
    }
    if (out.trim() === '') return { added: 0, removed: 0 };
    const [added, removed] = out.trim().split(/\s+/).map(Number);
    return { added, removed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('counts match git diff --numstat on whole texts', () => {
  const random = rng(7);
  const vocabulary = ['const a = 1;', 'return x;', '}', '', 'if (ok) {', '  log(x);', 'export function f() {', '// note'];
  for (let i = 0; i < 40; i++) {
    const lines = Array.from({ length: 5 + Math.floor(random() * 30) }, () => vocabulary[Math.floor(random() * vocabulary.length)]);
    const edited = lines.flatMap((l) => {
      const r = random();
      if (r < 0.15) return [];
      if (r < 0.3) return [l, vocabulary[Math.floor(random() * vocabulary.length)]];
      if (r < 0.4) return [`${l} // changed`];
      return [l];
    });
    const oldText = lines.join('\n') + '\n';
    const newText = edited.join('\n') + '\n';
    assert.deepEqual(countLineChanges(oldText, newText), gitNumstat(oldText, newText), `case ${i}`);
  }
});

test('edit fragments: a missing final newline is not a change', () => {
  assert.deepEqual(countLineChanges('app.listen(port);', "app.get('/health', h);\napp.listen(port);"), { added: 1, removed: 0 });
  assert.deepEqual(countLineChanges('', 'one\ntwo'), { added: 2, removed: 0 });
  assert.deepEqual(countLineChanges('gone\n', ''), { added: 0, removed: 1 });
  assert.deepEqual(countLineChanges('same', 'same'), { added: 0, removed: 0 });
});

test('an edit list sums its pairs and tolerates old camelCase fields', () => {
  assert.deepEqual(
    countEditLines([
      { old_string: 'a', new_string: 'b' },
      { oldString: 'x\ny', newString: 'x\ny\nz' },
      null,
    ]),
    { added: 2, removed: 1 },
  );
  assert.equal(countEditLines('not a list'), undefined);
});

test('a rewrite far beyond the diff budget still gets counts', () => {
  const a = Array.from({ length: 5000 }, (_, i) => `old ${i}`).join('\n');
  const b = Array.from({ length: 5000 }, (_, i) => `new ${i}`).join('\n');
  assert.deepEqual(countLineChanges(a, b), { added: 5000, removed: 5000 });
});
