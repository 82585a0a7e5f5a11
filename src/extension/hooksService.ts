// Cursor's hooks from the editor: the installer of src/capture (the same code as
// `blueplane hooks install|uninstall|status`) with the choices an editor makes for the user.
import { hooksStatus, installHooks, type InstallResult, uninstallHooks, type UninstallResult } from '../capture/hooksInstaller';
import type { Config } from '../config/config';
import { errorMessage } from '../shared/log';
import { type HooksState, summariseHooks } from './hooksState';

export function readHooksState(config: Config): HooksState {
  try {
    return summariseHooks(hooksStatus({ config }));
  } catch (err) {
    return { kind: 'error', detail: `Cannot check Cursor's hooks (${errorMessage(err)}).` };
  }
}

export function installCursorHooks(config: Config): InstallResult {
  return installHooks({
    config,
    // Windows has no POSIX shell for the spool hook; there the direct hook is the only choice.
    direct: process.platform === 'win32',
    // Inside Cursor (Electron) the editor's own binary can run the direct hook where no Node is
    // installed; under plain Node (code-server, tests) the installer finds node itself.
    editorExecutable: process.versions.electron ? process.execPath : undefined,
  });
}

export function uninstallCursorHooks(config: Config): UninstallResult {
  return uninstallHooks({ config });
}
