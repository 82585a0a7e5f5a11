// The HTML shell every panel uses: a content security policy that allows only our own styles
// and the scripts carrying this page's nonce (webview-sample's habit). Pure, so the policy is
// unit-tested; the panel passes in the webview's cspSource and resource URIs.
import { randomBytes } from 'node:crypto';

/** A fresh nonce per page load, from the OS's CSPRNG (never Math.random: it is predictable). */
export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

export interface ShellOptions {
  title: string;
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  styleUris: string[];
  scriptUris: string[];
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function buildShellHtml(o: ShellOptions): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.styleUris.map((u) => `<link rel="stylesheet" href="${attr(u)}">`).join('\n')}
<title>${attr(o.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading…</p></main>
${o.scriptUris.map((u) => `<script nonce="${attr(o.nonce)}" src="${attr(u)}"></script>`).join('\n')}
</body>
</html>`;
}
