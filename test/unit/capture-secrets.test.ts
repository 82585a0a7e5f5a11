import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECRET_RULES, scrubText, scrubValue } from '../../src/capture/secrets';
import { SECRET_SAMPLES, payloadWithSecrets } from '../fixtures/secrets';
import { cursorFixtures } from '../helpers/fixtures';

test('every realistic secret sample is redacted and named by kind', () => {
  for (const sample of SECRET_SAMPLES) {
    const out = scrubText(sample.text);
    assert.ok(!out.includes(sample.secret), `${sample.kind} survived in: ${out}`);
    assert.ok(out.includes(`[REDACTED:${sample.kind}]`), `${sample.kind} is named: ${out}`);
  }
});

test('secrets nested in objects, arrays, JSON strings and keys are all redacted', () => {
  const payload = payloadWithSecrets({ edits: [{ old_string: 'x', new_string: SECRET_SAMPLES[0].text }], [SECRET_SAMPLES[3].secret]: 1 });
  const text = JSON.stringify(scrubValue(payload));
  for (const sample of SECRET_SAMPLES) assert.ok(!text.includes(sample.secret), `${sample.kind} survived`);
});

test('the reference fixtures pass through unchanged: no false positives on ordinary payloads', () => {
  for (const fixture of cursorFixtures()) assert.deepEqual(scrubValue(fixture), fixture, fixture.hook_event_name);
});

test('code that merely mentions secrets is kept as it is', () => {
  const code = [
    'const password = req.body.password;',
    'password: string;',
    'token = getToken()',
    'secret: ${{ secrets.DEPLOY_KEY }}',
    'api_key=<your key here>',
    'input_tokens: 1449004, max_tokens=1000',
    'let token = null',
    'export AWS_REGION=us-east-1',
  ];
  for (const line of code) assert.equal(scrubText(line), line);
});

test('scrubbing does not change its input and is idempotent', () => {
  const payload = payloadWithSecrets({ conversation_id: 'c' });
  const copy = structuredClone(payload);
  const once = scrubValue(payload);
  assert.deepEqual(payload, copy);
  assert.deepEqual(scrubValue(once), once);
});

test('pathological input cannot blow the regex stack (a 10 MB run of separators)', () => {
  const text = `${'a_'.repeat(5_000_000)} password=Hunter2Hunter2`;
  const out = scrubText(text);
  assert.ok(!out.includes('Hunter2Hunter2'));
});

test('every rule has samples, and each sample contains its rule’s prefilter trigger', () => {
  const kinds = new Set(SECRET_SAMPLES.map((s) => s.kind));
  for (const rule of SECRET_RULES) {
    assert.ok(kinds.has(rule.kind), `no sample for ${rule.kind}`);
    for (const sample of SECRET_SAMPLES.filter((s) => s.kind === rule.kind)) {
      assert.match(sample.text, new RegExp(rule.trigger, 'i'), `${rule.kind} sample lacks the trigger`);
    }
  }
});
