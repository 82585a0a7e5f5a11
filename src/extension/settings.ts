// The extension's own settings (editor-only behaviour; pipeline settings live in config.yaml,
// DESIGN.md §6), read in one place and checked, like vscode-eslint's typed settings. No `vscode`
// import: the reader takes anything with a `get`, so the parsing is unit-tested in plain Node and
// a unit test keeps these defaults equal to package.json's.

export const SETTINGS_SECTION = 'blueplane';

/** What the status bar number counts. */
export const COUNTER_MODES = ['total', 'session'] as const;
export type CounterMode = (typeof COUNTER_MODES)[number];

/** What to do on activation when Cursor's hooks are not installed. */
export const HOOKS_AUTO_INSTALL = ['ask', 'always', 'never'] as const;
export type HooksAutoInstall = (typeof HOOKS_AUTO_INSTALL)[number];

export interface ExtensionSettings {
  statusBarEnabled: boolean;
  counter: CounterMode;
  hooksAutoInstall: HooksAutoInstall;
}

/** Keys relative to the `blueplane` section, as package.json declares them. */
export const SETTING_KEYS: Record<keyof ExtensionSettings, string> = {
  statusBarEnabled: 'statusBar.enabled',
  counter: 'statusBar.counter',
  hooksAutoInstall: 'hooks.autoInstall',
};

export const DEFAULT_SETTINGS: ExtensionSettings = {
  statusBarEnabled: true,
  counter: 'total',
  hooksAutoInstall: 'ask',
};

/** The part of vscode.WorkspaceConfiguration this module needs. */
export interface SettingsSource {
  get(key: string): unknown;
}

export interface ReadSettings {
  settings: ExtensionSettings;
  /** One sentence per bad value; that setting fell back to its default. */
  problems: string[];
}

export function readSettings(source: SettingsSource): ReadSettings {
  const problems: string[] = [];
  const full = (key: keyof ExtensionSettings) => `${SETTINGS_SECTION}.${SETTING_KEYS[key]}`;

  const bool = (key: keyof ExtensionSettings & 'statusBarEnabled'): boolean => {
    const value = source.get(SETTING_KEYS[key]);
    if (value === undefined || value === null) return DEFAULT_SETTINGS[key];
    if (typeof value === 'boolean') return value;
    problems.push(`Setting ${full(key)} must be true or false, not ${JSON.stringify(value)}; using ${DEFAULT_SETTINGS[key]}.`);
    return DEFAULT_SETTINGS[key];
  };

  function oneOf<K extends 'counter' | 'hooksAutoInstall'>(key: K, allowed: readonly ExtensionSettings[K][]): ExtensionSettings[K] {
    const value = source.get(SETTING_KEYS[key]);
    if (value === undefined || value === null) return DEFAULT_SETTINGS[key];
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as ExtensionSettings[K];
    problems.push(`Setting ${full(key)} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}; using ${DEFAULT_SETTINGS[key]}.`);
    return DEFAULT_SETTINGS[key];
  }

  return {
    settings: {
      statusBarEnabled: bool('statusBarEnabled'),
      counter: oneOf('counter', COUNTER_MODES),
      hooksAutoInstall: oneOf('hooksAutoInstall', HOOKS_AUTO_INSTALL),
    },
    problems,
  };
}
