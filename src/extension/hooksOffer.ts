import * as vscode from 'vscode';
import type { Logger } from '../shared/log';
import type { HooksState } from './hooksState';
import { SETTING_KEYS, SETTINGS_SECTION, type HooksAutoInstall } from './settings';

const OFFERED_KEY = 'blueplane.hooksOffered';

export interface HooksOfferDeps {
  globalState: vscode.Memento;
  mode: HooksAutoInstall;
  state: HooksState;
  install: () => Promise<void>;
  log: Logger;
}

/**
 * On activation, when Cursor's hooks are missing: install them (autoInstall "always"), or ask
 * once per machine profile ("ask"), or do nothing ("never"). A broken hooks.json is never
 * touched here; the status bar and Verify report it.
 */
export async function offerHooksInstall(deps: HooksOfferDeps): Promise<void> {
  if (deps.mode === 'never' || (deps.state.kind !== 'missing' && deps.state.kind !== 'partial')) return;
  if (deps.mode === 'always') {
    deps.log.info(`Installing Cursor hooks (blueplane.hooks.autoInstall is "always"): ${deps.state.detail}.`);
    return deps.install();
  }
  if (deps.globalState.get<boolean>(OFFERED_KEY)) return;
  await deps.globalState.update(OFFERED_KEY, true);
  const install = 'Install Hooks';
  const never = 'Don’t Ask Again';
  const pick = await vscode.window.showInformationMessage(
    `Blueplane captures Cursor's agent events through hooks in ~/.cursor/hooks.json, and they are ${deps.state.kind === 'partial' ? 'incomplete' : 'not installed'}. Install them now?`,
    install,
    'Not Now',
    never,
  );
  if (pick === install) return deps.install();
  if (pick === never) {
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(SETTING_KEYS.hooksAutoInstall, 'never', vscode.ConfigurationTarget.Global);
  }
}
