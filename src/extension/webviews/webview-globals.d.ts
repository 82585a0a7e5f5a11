// What the webview host injects into every panel page (media/*.js); type-checked by
// tsconfig.media.json. Kept tiny on purpose: we only post messages.
declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};
