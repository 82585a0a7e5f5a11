import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig, redactUrl } from '../../src/config/config';
import { tempHome } from '../helpers/env';

function withConfig(yaml: string | undefined, env: Record<string, string> = {}) {
  const t = tempHome('bp-cfg');
  mkdirSync(t.home, { recursive: true });
  if (yaml !== undefined) writeFileSync(path.join(t.home, 'config.yaml'), yaml);
  try {
    return loadConfig({ env: { HOME: t.userHome, BLUEPLANE_HOME: t.home, ...env } });
  } finally {
    t.cleanup();
  }
}

test('no config file: every key has its default, paths under BLUEPLANE_HOME', () => {
  const { config, warnings, fromFile } = withConfig(undefined);
  assert.equal(fromFile, false);
  assert.deepEqual(warnings, []);
  assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
  assert.equal(config.streams.events, 'telemetry:events');
  assert.equal(config.processor.consumer_group, 'processors');
  assert.equal(config.processor.batch_size, 100);
  assert.equal(config.processor.max_deliveries, 3);
  assert.equal(config.processor.max_entry_bytes, 1_048_576);
  assert.equal(config.database.retention_days, 90);
  assert.match(config.paths.database, /\.blueplane\/telemetry\.db$/);
});

test('a bad key is reported by name with the expected type; the rest still loads', () => {
  const { config, warnings } = withConfig('processor:\n  batch_size: lots\n  consumer_name: laptop\nprivacy:\n  mode: everything\nstreams:\n  evnts: typo\n');
  assert.equal(config.processor.batch_size, 100, 'bad value falls back to its default');
  assert.equal(config.processor.consumer_name, 'laptop', 'good keys next to it still apply');
  assert.ok(warnings.some((w) => w.includes('"processor.batch_size"') && /expected number/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => w.includes('"privacy.mode"')));
  assert.ok(warnings.some((w) => w.includes('Unknown config key "streams.evnts"')));
});

test('BLUEPLANE_REDIS_URL overrides the file; rediss and passwords are kept, and redacted for display', () => {
  const { config } = withConfig('redis:\n  url: redis://10.0.0.1:6379\n', { BLUEPLANE_REDIS_URL: 'rediss://user:s3cret@redis.example:6380/2' });
  assert.equal(config.redis.url, 'rediss://user:s3cret@redis.example:6380/2');
  assert.equal(redactUrl(config.redis.url), 'rediss://user:***@redis.example:6380/2');
});

test('invalid YAML is one clear error naming the file and the fix', () => {
  assert.throws(() => withConfig('redis: [unclosed\n'), (err: Error) => err instanceof ConfigError && /not valid YAML.*fix the syntax/.test(err.message));
});

test('a config file named explicitly must exist', () => {
  assert.throws(() => loadConfig({ configPath: '/nonexistent/blueplane.yaml', env: {} }), /Cannot read config file .*ENOENT/);
});
