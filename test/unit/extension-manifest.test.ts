// The manifest and the code agree, and the editor API stays in src/extension (DESIGN.md §3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_CATEGORY, COMMAND_TITLES, COMMANDS } from '../../src/extension/commandIds';

const root = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

const importsVscode = (file: string) => /from ['"]vscode['"]|require\(['"]vscode['"]\)/.test(readFileSync(file, 'utf8'));

test('every command id in the code is contributed, with its title and the Blueplane category', () => {
  const contributed: Array<{ command: string; title: string; category: string }> = manifest.contributes.commands;
  assert.deepEqual(contributed.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
  for (const c of contributed) {
    assert.equal(c.category, COMMAND_CATEGORY, c.command);
    assert.equal(c.title, COMMAND_TITLES[c.command as keyof typeof COMMAND_TITLES], c.command);
  }
});

test('activation is on startup only, workspace trust is declared with a reason, the icon ships', () => {
  assert.deepEqual(manifest.activationEvents, ['onStartupFinished']);
  assert.equal(manifest.main, './dist/extension.js');
  assert.equal(manifest.publisher, 'blueplane');
  assert.equal(manifest.displayName, 'Blueplane Telemetry');
  const trust = manifest.capabilities.untrustedWorkspaces;
  assert.equal(trust.supported, true);
  assert.match(trust.description, /never reads, runs or trusts anything from the open folder/);
  assert.ok(existsSync(path.join(root, manifest.icon)), `${manifest.icon} exists`);
  assert.match(manifest.scripts.package, /vsce package --no-dependencies/);
});

test('only src/extension imports vscode', () => {
  const offenders = filesUnder(path.join(root, 'src'))
    .filter((f) => /\.ts$/.test(f) && !f.includes(`${path.sep}extension${path.sep}`))
    .filter(importsVscode);
  assert.deepEqual(offenders, []);
});

test('the logic under src/extension that the unit tests load does not import vscode either', () => {
  const pure = ['settings', 'statusView', 'statusTrend', 'hooksState', 'hooksService', 'logLines', 'processSupervisor', 'cliRunner',
    'configTemplate', 'configSource', 'redisHandle', 'commandIds', 'webviews/webviewHtml', 'webviews/protocol'];
  for (const name of pure) assert.equal(importsVscode(path.join(root, 'src/extension', `${name}.ts`)), false, name);
});

test('webview scripts never use innerHTML or eval (dead letters carry untrusted text)', () => {
  for (const file of filesUnder(path.join(root, 'media')).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function/, file);
  }
});
