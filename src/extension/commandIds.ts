// Every command the extension contributes, in one place. A unit test compares this list with
// package.json's `contributes.commands`, so an id cannot drift from the manifest (STYLE.md, gitlens).
export const COMMANDS = {
  verifyPipeline: 'blueplane.verifyPipeline',
  showDeadLetterQueue: 'blueplane.showDeadLetterQueue',
  cdcStreamHealth: 'blueplane.cdcStreamHealth',
  installHooks: 'blueplane.installHooks',
  uninstallHooks: 'blueplane.uninstallHooks',
  restartProcessor: 'blueplane.restartProcessor',
  openDatabaseFolder: 'blueplane.openDatabaseFolder',
  openConfig: 'blueplane.openConfig',
  showLogs: 'blueplane.showLogs',
  showMenu: 'blueplane.showMenu',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Titles as the quick pick shows them (the palette reads them from package.json). */
export const COMMAND_TITLES: Record<CommandId, string> = {
  [COMMANDS.verifyPipeline]: 'Verify Pipeline',
  [COMMANDS.showDeadLetterQueue]: 'Show Dead Letter Queue',
  [COMMANDS.cdcStreamHealth]: 'CDC Stream Health',
  [COMMANDS.installHooks]: 'Install Cursor Hooks',
  [COMMANDS.uninstallHooks]: 'Uninstall Cursor Hooks',
  [COMMANDS.restartProcessor]: 'Restart Processor',
  [COMMANDS.openDatabaseFolder]: 'Open Database Folder',
  [COMMANDS.openConfig]: 'Open Config (config.yaml)',
  [COMMANDS.showLogs]: 'Show Logs',
  [COMMANDS.showMenu]: 'Show Status and Commands',
};

export const COMMAND_CATEGORY = 'Blueplane';
