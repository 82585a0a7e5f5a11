// @ts-check
// Shared helpers for the Blueplane panels, loaded before each panel's script. Everything is built
// with createElement and text nodes, never by parsing HTML strings: dead letters carry text from
// the agent's events, and it must never become markup or script.

const vscodeApi = acquireVsCodeApi();

/**
 * Build an element. Event handler attributes ("on...") are refused: the CSP blocks inline
 * handlers anyway; use data-action and the one delegated listener of onAction().
 * @param {string} tag
 * @param {Record<string, string | boolean | undefined>} [attrs]
 * @param {Array<Node | string | number | null | undefined | false>} children
 * @returns {HTMLElement}
 */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`h(): event handler attribute ${name} is not allowed`);
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/** @param {Array<Node | string>} nodes */
function render(...nodes) {
  const app = document.getElementById('app');
  if (app) app.replaceChildren(...nodes);
}

/** @param {unknown} message */
function post(message) {
  vscodeApi.postMessage(message);
}

/**
 * Run `handler(action, id)` for clicks on any element with data-action (one listener, added once).
 * @param {(action: string, id: string | undefined) => void} handler
 */
function onAction(handler) {
  document.addEventListener('click', (event) => {
    const target = /** @type {HTMLElement | null} */ (event.target instanceof Element ? event.target.closest('[data-action]') : null);
    if (!target || target.hasAttribute('disabled')) return;
    handler(target.dataset.action ?? '', target.dataset.id);
  });
}

/**
 * @param {(message: any) => void} handler
 */
function onMessage(handler) {
  window.addEventListener('message', (event) => handler(event.data));
}

const numberFormat = new Intl.NumberFormat('en-US');

/** @param {number | null | undefined} n */
function fmtNumber(n) {
  return n === null || n === undefined ? 'unknown' : numberFormat.format(n);
}

/** "45 s", "12 min", "3.0 h", "2.0 d" (same wording as `blueplane cdc`). @param {number} ms */
function fmtAge(ms) {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** @param {string} iso */
function fmtTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
