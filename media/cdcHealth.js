// @ts-check
// Blueplane: CDC Stream Health — length, entry ages, publish rate, consumer groups and the
// upstream backlog, refreshed by the extension every few seconds while the panel is visible.
/** @typedef {import('../src/extension/webviews/protocol').CdcToWebview} CdcToWebview */
/** @typedef {import('../src/extension/webviews/protocol').CdcFromWebview} CdcFromWebview */
/** @typedef {import('../src/processing/cdcHealth').CdcHealth} CdcHealth */
// A block of its own: the panel scripts share the page's global scope with media/dom.js.
(() => {
  /** @param {CdcFromWebview} message */
  const send = (message) => post(message);

  /** @param {string} label @param {string} value @param {string} id */
  const card = (label, value, id) => h('div', { class: 'card', id }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));

  /** @param {import('../src/processing/cdcHealth').PublishRate} rate */
  function fmtRate(rate) {
    const value = rate.perSec >= 10 ? rate.perSec.toFixed(0) : rate.perSec.toFixed(2);
    return `${rate.atLeast ? '≥ ' : ''}${value}/s`;
  }

  /** @param {CdcHealth | undefined} health @param {string | undefined} error */
  function view(health, error) {
    const parts = [h('h1', {}, 'CDC Stream Health'),
      h('div', { class: 'toolbar' },
        h('span', { class: 'muted' }, health ? `${health.stream}, sampled ${fmtTime(new Date(health.sampledAtMs).toISOString())}` : 'Loading…'),
        h('span', { class: 'spacer' }),
        h('button', { 'data-action': 'refresh', class: 'secondary' }, 'Refresh'))];
    if (error) parts.push(h('p', { class: 'error', role: 'alert' }, error));
    if (health) {
      parts.push(h('div', { class: 'cards' },
        card('Entries', health.exists ? fmtNumber(health.length) : 'no stream yet', 'length'),
        card('Oldest entry', health.firstEntry ? `${fmtAge(health.firstEntry.ageMs)} old` : '—', 'oldest'),
        card('Newest entry', health.lastEntry ? `${fmtAge(health.lastEntry.ageMs)} old` : '—', 'newest'),
        card(health.publishRate.basis === 'samples' ? 'Publish rate (live)' : 'Publish rate (last minute)', fmtRate(health.publishRate), 'rate'),
        card(`Upstream ${health.upstream.group}: pending / lag`, health.upstream.found ? `${fmtNumber(health.upstream.pending)} / ${fmtNumber(health.upstream.lag)}` : 'no group', 'upstream'),
      ));
      parts.push(h('p', { class: 'muted' },
        `Trimmed near ${fmtNumber(health.maxlen)} entries. Upstream is the processor's group on ${health.upstream.stream}: entries there are stored, flushed, then published here.`));
      parts.push(h('h2', {}, 'Consumer groups'));
      if (health.groups.length === 0) {
        parts.push(h('p', { id: 'no-groups' }, `No consumer group reads ${health.stream} yet; the slow path creates one when it starts.`));
      } else {
        parts.push(h('table', { id: 'groups' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Group / consumer'), h('th', { class: 'num' }, 'Consumers'), h('th', { class: 'num' }, 'Pending'), h('th', { class: 'num' }, 'Lag'), h('th', {}, 'Last delivered / idle'))),
          h('tbody', {}, ...health.groups.flatMap((g) => [
            h('tr', { 'data-group': g.name },
              h('td', {}, h('strong', {}, g.name)), h('td', { class: 'num' }, g.consumers), h('td', { class: 'num' }, fmtNumber(g.pending)),
              h('td', { class: 'num' }, fmtNumber(g.lag)), h('td', { class: 'mono' }, g.lastDeliveredId)),
            ...g.consumerDetails.map((c) => h('tr', { 'data-consumer': c.name },
              h('td', { class: 'muted' }, `↳ ${c.name}`), h('td', {}, ''), h('td', { class: 'num' }, fmtNumber(c.pending)), h('td', {}, ''),
              h('td', { class: 'muted' }, `idle ${fmtAge(c.idleMs)}`))),
          ])),
        ));
      }
    }
    render(...parts);
  }

  /** @type {CdcHealth | undefined} */
  let last;
  onMessage((/** @type {CdcToWebview} */ m) => {
    if (m.type === 'health') {
      last = m.health;
      view(last, undefined);
    } else view(last, m.error);
  });
  onAction((action) => {
    if (action === 'refresh') send({ type: 'refresh' });
  });
  view(undefined, undefined);
  send({ type: 'ready' });
})();
