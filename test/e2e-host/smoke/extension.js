// Throwaway extension for the e2e host harness: if `smoke-ok` shows in the status bar
// and "Smoke: Say Hello" pops a notification, then install, activation, status bar
// reading and the command palette all work end to end.
const vscode = require('vscode');

function activate(context) {
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 1000);
  item.text = 'smoke-ok';
  item.show();
  context.subscriptions.push(
    item,
    vscode.commands.registerCommand('blueplaneSmoke.sayHello', () => {
      // Echo an env var so the test proves the extension host inherits the env
      // startCodeServer was given (the real extension needs HOME, BLUEPLANE_HOME, ...).
      vscode.window.showInformationMessage(`Hello from smoke (mark=${process.env.BLUEPLANE_SMOKE_MARK ?? 'unset'})`);
    }),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
