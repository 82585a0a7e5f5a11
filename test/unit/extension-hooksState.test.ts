import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HooksStatus } from '../../src/capture/hooksInstaller';
import { hooksCheck, summariseHooks, withHooksCheck } from '../../src/extension/hooksState';
import type { VerifyReport } from '../../src/processing/verify';

function status(over: Partial<HooksStatus> = {}): HooksStatus {
  return {
    hooksFile: '/h/.cursor/hooks.json',
    exists: true,
    mode: 'spool',
    hooked: ['beforeSubmitPrompt', 'stop'],
    missing: [],
    otherHooks: 0,
    scripts: { spool: true, direct: false, settings: true },
    spool: { dir: '/h/.blueplane/spool', files: 0, bytes: 0, tempFiles: 0 },
    alsoInstalledIn: [],
    ...over,
  };
}

test('installed, missing, partial and unreadable hooks', () => {
  assert.equal(summariseHooks(status()).kind, 'installed');
  assert.match(summariseHooks(status()).detail, /2 events hooked \(spool mode\) in \/h\/\.cursor\/hooks\.json/);
  assert.equal(summariseHooks(status({ hooked: [], missing: ['stop'], mode: 'none' })).kind, 'missing');
  assert.equal(summariseHooks(status({ missing: ['afterFileEdit'] })).kind, 'partial');
  assert.equal(summariseHooks(status({ scripts: { spool: false, direct: false, settings: false } })).kind, 'partial');
  assert.match(summariseHooks(status({ outdated: ['stop'] })).detail, /1 hooks .* write to another spool folder/);
  const broken = summariseHooks(status({ error: '/h/.cursor/hooks.json is not valid JSON (...); it was left untouched.' }));
  assert.equal(broken.kind, 'error');
  assert.match(broken.detail, /not valid JSON/);
});

test('the verify line passes only when installed, with a fix otherwise', () => {
  assert.equal(hooksCheck({ kind: 'installed', detail: 'ok' }).state, 'pass');
  const missing = hooksCheck({ kind: 'missing', detail: 'none' });
  assert.equal(missing.state, 'fail');
  assert.match(missing.fix ?? '', /Install Cursor Hooks/);
});

test('the extension adds the hooks line once, and a failing one fails the report', () => {
  const report: VerifyReport = { ok: true, totalMs: 10, checks: [{ name: 'Redis reachable', state: 'pass', detail: '', ms: 1 }] };
  const added = withHooksCheck(report, { kind: 'missing', detail: 'none' });
  assert.equal(added.checks.length, 2);
  assert.equal(added.ok, false);
  assert.equal(withHooksCheck(added, { kind: 'installed', detail: 'x' }).checks.length, 2);
});
