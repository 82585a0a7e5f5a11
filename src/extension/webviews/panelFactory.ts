import * as vscode from 'vscode';
import { buildShellHtml, makeNonce } from './webviewHtml';

/**
 * A webview panel that may load only what is in media/ (localResourceRoots) and only scripts
 * carrying this page's fresh nonce (the CSP in webviewHtml.ts). `script` is the panel's own
 * file in media/; dom.js (shared helpers) loads before it.
 */
export function createPanel(extensionUri: vscode.Uri, viewType: string, title: string, script: string): vscode.WebviewPanel {
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, {
    enableScripts: true,
    localResourceRoots: [media],
  });
  const { webview } = panel;
  const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(media, file)).toString();
  webview.html = buildShellHtml({
    title,
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    styleUris: [uri('panel.css')],
    scriptUris: [uri('dom.js'), uri(script)],
  });
  panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
  return panel;
}
