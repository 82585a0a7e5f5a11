// The extension's settings: typed reading with defaults, and the manifest kept in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COUNTER_MODES, DEFAULT_SETTINGS, HOOKS_AUTO_INSTALL, readSettings, SETTING_KEYS, SETTINGS_SECTION } from '../../src/extension/settings';

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
const declared: Record<string, { default: unknown; enum?: unknown[]; scope?: string }> = manifest.contributes.configuration.properties;

const source = (values: Record<string, unknown>) => ({ get: (key: string) => values[key] });

test('nothing set: the defaults, and no problems', () => {
  assert.deepEqual(readSettings(source({})), { settings: DEFAULT_SETTINGS, problems: [] });
});

test('valid values are taken as they are', () => {
  const { settings, problems } = readSettings(source({ 'statusBar.enabled': false, 'statusBar.counter': 'session', 'hooks.autoInstall': 'never' }));
  assert.deepEqual(settings, { statusBarEnabled: false, counter: 'session', hooksAutoInstall: 'never' });
  assert.deepEqual(problems, []);
});

test('a bad value falls back to its default with one sentence naming the setting', () => {
  const { settings, problems } = readSettings(source({ 'statusBar.enabled': 'yes', 'statusBar.counter': 'everything', 'hooks.autoInstall': 3 }));
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  assert.equal(problems.length, 3);
  assert.match(problems[0], /^Setting blueplane\.statusBar\.enabled must be true or false, not "yes"; using true\.$/);
  assert.match(problems[1], /blueplane\.statusBar\.counter must be one of total, session, not "everything"; using total\./);
  assert.match(problems[2], /blueplane\.hooks\.autoInstall must be one of ask, always, never/);
});

test('package.json declares exactly these settings, with the same defaults, enums and a scope', () => {
  const keys = Object.values(SETTING_KEYS).map((k) => `${SETTINGS_SECTION}.${k}`);
  assert.deepEqual(Object.keys(declared).sort(), [...keys].sort());
  for (const [name, key] of Object.entries(SETTING_KEYS)) {
    const decl = declared[`${SETTINGS_SECTION}.${key}`];
    assert.deepEqual(decl.default, DEFAULT_SETTINGS[name as keyof typeof DEFAULT_SETTINGS], `default of ${key}`);
    assert.ok(decl.scope, `${key} has a scope`);
  }
  assert.deepEqual(declared['blueplane.statusBar.counter'].enum, [...COUNTER_MODES]);
  assert.deepEqual(declared['blueplane.hooks.autoInstall'].enum, [...HOOKS_AUTO_INSTALL]);
});
