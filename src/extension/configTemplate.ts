// The config.yaml that Blueplane: Open Config creates when there is none yet: every key with its
// default, commented out, so the user sees what can be set without anything changing.
import { stringify } from 'yaml';
import { type Config, defaultConfig } from '../config/config';

export function configTemplate(defaults: Config = defaultConfig()): string {
  const { paths: _paths, ...raw } = defaults;
  const body = stringify(raw)
    .trimEnd()
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n');
  return [
    '# Blueplane pipeline settings, shared by the processor, the hooks and the `blueplane` CLI.',
    '# Every key has a default (shown commented out); uncomment a line to change it.',
    '# The processor reads this file when it starts: run "Blueplane: Restart Processor" after saving.',
    '',
    body,
    '',
  ].join('\n');
}
