import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { defaultConfig } from '../../src/config/config';
import { configTemplate } from '../../src/extension/configTemplate';

test('the config.yaml template changes nothing, and uncommented it is exactly the defaults', () => {
  const text = configTemplate();
  assert.equal(parse(text), null, 'every line is a comment');
  const uncommented = text.split('\n').filter((l) => l.startsWith('# ') && !/^# [A-Z]/.test(l)).map((l) => l.slice(2)).join('\n');
  const { paths: _paths, ...defaults } = defaultConfig();
  assert.deepEqual(parse(uncommented), JSON.parse(JSON.stringify(defaults)));
});
