import type * as vscode from 'vscode';

// Placeholder until the extension glue lands (issue 4).
export function activate(_context: vscode.ExtensionContext): void {}
export function deactivate(): void {}
