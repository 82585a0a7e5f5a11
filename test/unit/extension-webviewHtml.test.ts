import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildShellHtml, contentSecurityPolicy, makeNonce } from '../../src/extension/webviews/webviewHtml';

test('the policy allows only our styles and scripts with this page\'s nonce', () => {
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'abc');
  assert.match(csp, /^default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc'/);
  assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
});

test('nonces are fresh and long enough', () => {
  const nonces = new Set(Array.from({ length: 100 }, makeNonce));
  assert.equal(nonces.size, 100);
  for (const n of nonces) assert.ok(n.length >= 24);
});

test('every script carries the nonce; attributes are escaped', () => {
  const html = buildShellHtml({ title: 'A "quoted" <title>', cspSource: 'src', nonce: 'N1', styleUris: ['s.css'], scriptUris: ['a.js', 'b.js?x="1"'] });
  assert.equal((html.match(/<script /g) ?? []).length, 2);
  assert.equal((html.match(/<script nonce="N1" /g) ?? []).length, 2);
  assert.match(html, /<title>A &quot;quoted&quot; &lt;title></);
  assert.match(html, /src="b\.js\?x=&quot;1&quot;"/);
  assert.match(html, /http-equiv="Content-Security-Policy"/);
});
