// Secret scrubbing for captured payloads (DESIGN.md invariant 9: nothing that looks like a key or
// a token enters Redis or the database). Dependency-free on purpose: the direct hook bundles this
// file and must start fast.
//
// Each rule names the kind of secret it found, so a reader of the stored event knows why text
// is missing. Rules are ordered most specific first: an Anthropic key is reported as such, not as
// the OpenAI-style `sk-` key it also resembles.

export interface SecretRule {
  kind: string;
  pattern: RegExp;
  /** Builds the replacement; the default replaces the whole match. */
  replace?: (match: string, ...groups: string[]) => string;
  /** Text every match contains: a cheap `includes` skips the regex scan of large outputs without it. */
  hint?: string;
  /**
   * A regex source every match contains (tested case-insensitively): all triggers together make
   * one prefilter, so the many short strings of a payload (ids, paths, names) cost one scan each
   * instead of one per rule. A unit test checks each rule's samples against its trigger.
   */
  trigger: string;
}

const marker = (kind: string) => `[REDACTED:${kind}]`;

// Values in `name=value` pairs that are code or placeholders, not secrets: `password = req.body.pw`,
// `token: ${TOKEN}`, `secret=<your secret>`. Redacting them would mangle captured code edits.
// Type annotations (`password: string`) are code too.
const NOT_A_SECRET_VALUE =
  /^(?:[$%<{([]|\*+$|\[REDACTED|(?:[A-Za-z_][\w$]*\.)+[A-Za-z_][\w$]*(?:\(.*)?[;,)]?$|[A-Za-z_][\w$]*\(|(?:string|number|boolean|any|unknown|str|int|bytes|optional|true|false|null|none|undefined)$)/i;

export const SECRET_RULES: SecretRule[] = [
  {
    kind: 'private_key',
    trigger: 'PRIVATE KEY',
    hint: 'PRIVATE KEY',
    // A whole PEM block, or a block cut off before its END line (truncated output).
    pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\:,.-]*)/g,
  },
  { kind: 'anthropic_key', trigger: 'sk-ant-', hint: 'sk-ant-', pattern: /\bsk-ant-[a-z]{3,}\d{0,3}-[A-Za-z0-9_-]{20,}/g },
  { kind: 'openai_key', trigger: 'sk-', hint: 'sk-', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'github_token', trigger: 'gh[pousr]_|github_pat_', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'gitlab_token', trigger: 'gl[a-z]{2,6}-', hint: 'gl', pattern: /\bgl(?:pat|dt|rt|ptt|ft|cbt|imt|oas|soat|agent|ffct)-[A-Za-z0-9_-]{20,}/g },
  { kind: 'slack_token', trigger: 'xox', hint: 'xox', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  { kind: 'slack_webhook', trigger: 'hooks\\.slack\\.com', hint: 'hooks.slack.com', pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{20,}/g },
  { kind: 'aws_access_key_id', trigger: 'A(?:KIA|SIA|BIA|CCA|3T)', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b/g },
  {
    kind: 'aws_secret_access_key',
    trigger: 'aws_?secret',
    // 40 base64 characters are too common to match alone; require the name next to them.
    pattern: /(aws_?secret_?(?:access_?)?key(?:_id)?\\?["']?\s*[:=]\s*\\?["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    replace: (_m, prefix) => `${prefix}${marker('aws_secret_access_key')}`,
  },
  { kind: 'google_api_key', trigger: 'AIza', hint: 'AIza', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: 'stripe_key', trigger: 'k_(?:live|test)_', hint: 'k_', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'npm_token', trigger: 'npm_', hint: 'npm_', pattern: /\bnpm_[A-Za-z0-9]{36,}/g },
  { kind: 'huggingface_token', trigger: 'hf_', hint: 'hf_', pattern: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { kind: 'sendgrid_key', trigger: 'SG\\.', hint: 'SG.', pattern: /\bSG\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{30,}/g },
  { kind: 'jwt', trigger: 'eyJ', hint: 'eyJ', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  {
    kind: 'bearer_token',
    trigger: 'Bearer|Basic|Token',
    pattern: /\b(Bearer|Basic|Token)(\s+)([A-Za-z0-9._~+/-]{16,}=*)/g,
    replace: (_m, scheme, space) => `${scheme}${space}${marker('bearer_token')}`,
  },
  {
    kind: 'url_password',
    trigger: '://',
    hint: '://',
    // scheme://user:password@host, also with an empty user (redis://:pw@host).
    // The user part cannot start a marker: `https://[REDACTED:github_token]@host` is done already.
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@"'\\[]*):([^\s@/"'\\]+)@/gi,
    replace: (_m, scheme, user) => `${scheme}${user}:${marker('url_password')}@`,
  },
  {
    kind: 'secret',
    trigger: 'passw|passphrase|secret|api[_-]?key|access[_-]?key|private[_-]?key|token',
    // NAME=value / "name": "value" / name: value, where NAME ends in a secret-like word
    // (DB_PASSWORD, client_secret, api-key, GITHUB_TOKEN, ...). `\\?["']?` also catches the
    // escaped quotes of JSON nested in a string (tool_output, result_json).
    pattern:
      /((?<![A-Za-z0-9])(?:password|passwd|passphrase|secret|secret[_-]?key|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|api[_-]?token|token)\\?["']?\s*[:=]\s*\\?["']?)([^\s"'\\&,;]{4,})/gi,
    replace: (match, prefix, value) => (NOT_A_SECRET_VALUE.test(value) ? match : `${prefix}${marker('secret')}`),
  },
];

const ANY_TRIGGER = new RegExp(SECRET_RULES.map((r) => r.trigger).join('|'), 'i');

/** Replace every secret-looking substring of `text` with a `[REDACTED:<kind>]` marker. */
export function scrubText(text: string): string {
  if (text.length < 8 || !ANY_TRIGGER.test(text)) return text;
  let out = text;
  for (const rule of SECRET_RULES) {
    if (rule.hint !== undefined && !out.includes(rule.hint)) continue;
    rule.pattern.lastIndex = 0;
    if (!rule.pattern.test(out)) continue;
    rule.pattern.lastIndex = 0;
    const replace = rule.replace;
    // Capture groups come first in `rest` (then offset and input, which the rules ignore).
    out = replace
      ? out.replace(rule.pattern, (m: string, ...rest: unknown[]) => replace(m, ...(rest as string[])))
      : out.replace(rule.pattern, marker(rule.kind));
  }
  return out;
}

/** Scrub every string (keys included) of a JSON-like value; returns a new value, input untouched. */
export function scrubValue(value: unknown): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map(scrubValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[scrubText(k)] = scrubValue(v);
    return out;
  }
  return value;
}
