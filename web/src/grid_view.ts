/**
 * The world view: an SVG drawing of `renderFrame()` with the current policy on top.
 * Gridworlds: cells shaded by the critic's V(s), one arrow per action with length ∝ π(a|s) (the greedy one in
 * orange), the agent as a yellow disc. Bandits: one bar per arm with height π(arm), labelled with the arm's true
 * mean reward (the last pull outlined in orange when the frame reports it).
 * @module
 */
import type { BanditFrame, GridFrame, RenderFrame } from 'klip/envs';
import type { Snapshot } from './protocol.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Action order of klip gridworlds (Gymnasium FrozenLake): 0 = left, 1 = down, 2 = right, 3 = up. */
const DIRS: readonly [number, number][] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];
const TERMINAL: Record<string, { fill: string; label: string; text: string }> = {
  H: { fill: '#2f3e4e', label: 'hole', text: '#ffffff' },
  G: { fill: '#2e9d45', label: 'goal', text: '#ffffff' },
  C: { fill: '#c8383a', label: 'cliff', text: '#ffffff' },
  W: { fill: '#5b5b5b', label: 'wall', text: '#ffffff' },
  '#': { fill: '#5b5b5b', label: 'wall', text: '#ffffff' },
};

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Linear blend of two #rrggbb colours. */
function mix(a: string, b: string, t: number): string {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  const c = pa.map((x, i) => Math.round(x + (pb[i]! - x) * Math.min(1, Math.max(0, t))));
  return `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

function fmt(x: number): string {
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Draw a gridworld frame and policy into `svg` (cleared first). */
function drawGrid(svg: SVGSVGElement, frame: GridFrame, snap: Snapshot | null): void {
  const size = Math.max(30, Math.min(64, Math.floor(600 / frame.cols)));
  const pad = 2;
  svg.setAttribute('viewBox', `0 0 ${frame.cols * size + 2 * pad} ${frame.rows * size + 2 * pad}`);
  svg.setAttribute('width', String(frame.cols * size + 2 * pad));
  svg.setAttribute('height', String(frame.rows * size + 2 * pad));
  const defs = el('defs', {});
  for (const [id, colour] of [
    ['klip-head', '#1f2933'],
    ['klip-head-greedy', '#e8590c'],
  ] as const) {
    const marker = el('marker', {
      id,
      viewBox: '0 0 10 10',
      refX: 6,
      refY: 5,
      markerWidth: 4,
      markerHeight: 4,
      orient: 'auto-start-reverse',
    });
    marker.appendChild(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: colour }));
    defs.appendChild(marker);
  }
  svg.appendChild(defs);

  const values = snap?.values ?? null;
  let lo = Infinity;
  let hi = -Infinity;
  frame.cells.forEach((row, r) => {
    row.forEach((code, c) => {
      const v = values?.[r * frame.cols + c];
      if (!TERMINAL[code.toUpperCase()] && typeof v === 'number' && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    });
  });
  const span = hi > lo ? hi - lo : 1;

  for (let r = 0; r < frame.rows; r++) {
    for (let c = 0; c < frame.cols; c++) {
      const s = r * frame.cols + c;
      const code = frame.cells[r]?.[c] ?? '';
      const term = TERMINAL[code.toUpperCase()];
      const x = pad + c * size;
      const y = pad + r * size;
      const v = values?.[s];
      const fill = term
        ? term.fill
        : typeof v === 'number' && Number.isFinite(v)
          ? mix('#f4f8fc', '#6fa8dc', (v - lo) / span)
          : '#f4f6f8';
      const g = el('g', { 'data-state': s, 'data-cell': code });
      g.appendChild(el('rect', { x, y, width: size, height: size, fill, stroke: '#b8c2cc', 'stroke-width': 1 }));
      if (term) {
        g.appendChild(
          el(
            'text',
            {
              x: x + size / 2,
              y: y + size / 2 + 5,
              'text-anchor': 'middle',
              'font-size': Math.round(size * 0.28),
              fill: term.text,
              'font-weight': 600,
            },
            term.label,
          ),
        );
      } else {
        if (code.toUpperCase() === 'S') {
          g.appendChild(el('text', { x: x + 4, y: y + 13, 'font-size': 11, fill: '#52606d', 'font-weight': 700 }, 'S'));
        }
        const p = snap?.probs[s];
        if (p && p.length === 4) {
          let best = 0;
          for (let a = 1; a < 4; a++) if (p[a]! > p[best]!) best = a;
          const cx = x + size / 2;
          const cy = y + size / 2;
          const reach = size / 2 - 5;
          for (let a = 0; a < 4; a++) {
            const len = p[a]! * reach;
            if (len < 1.5) continue;
            const [dx, dy] = DIRS[a]!;
            const greedy = a === best;
            g.appendChild(
              el('line', {
                x1: cx,
                y1: cy,
                x2: cx + dx * len,
                y2: cy + dy * len,
                stroke: greedy ? '#e8590c' : '#1f2933',
                'stroke-width': greedy ? 2.6 : 1.6,
                'stroke-linecap': 'round',
                'marker-end': `url(#${greedy ? 'klip-head-greedy' : 'klip-head'})`,
                'data-action': a,
                'data-prob': p[a]!.toFixed(4),
              }),
            );
          }
        }
        if (typeof v === 'number' && Number.isFinite(v) && size >= 44) {
          g.appendChild(
            el(
              'text',
              { x: x + size - 3, y: y + size - 4, 'text-anchor': 'end', 'font-size': 10, fill: '#243b53' },
              fmt(v),
            ),
          );
        }
      }
      svg.appendChild(g);
    }
  }
  // No agent before the first reset (the trainer resets its envs when it is built, so the page always has one).
  const agent = frame.agent;
  if (agent === null) return;
  const ax = pad + agent.col * size + size / 2;
  const ay = pad + agent.row * size + size / 2;
  svg.appendChild(
    el('circle', {
      cx: ax,
      cy: ay,
      r: size * 0.2,
      fill: '#ffd43b',
      stroke: '#7a5c00',
      'stroke-width': 2,
      'fill-opacity': 0.9,
      class: 'agent',
      'data-row': agent.row,
      'data-col': agent.col,
    }),
  );
}

/** Draw a bandit frame: π(arm) bars, the true mean reward under each, the last pull outlined. */
function drawBandit(svg: SVGSVGElement, frame: BanditFrame, snap: Snapshot | null): void {
  const arms = frame.armValues.length;
  const w = 90;
  const h = 180;
  const top = 24;
  const width = arms * w + 20;
  const height = h + top + 52;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  const probs = snap?.probs[0] ?? [];
  const bestValue = Math.max(...frame.armValues);
  svg.appendChild(el('line', { x1: 10, y1: top + h, x2: width - 10, y2: top + h, stroke: '#52606d' }));
  for (let i = 0; i < arms; i++) {
    const p = probs[i] ?? 0;
    const x = 10 + i * w + 15;
    const bh = p * h;
    const best = frame.armValues[i] === bestValue;
    const g = el('g', { 'data-arm': i, 'data-prob': p.toFixed(4) });
    g.appendChild(el('rect', { x, y: top, width: w - 30, height: h, fill: '#f0f4f8', stroke: '#d9e2ec' }));
    g.appendChild(
      el('rect', {
        x,
        y: top + h - bh,
        width: w - 30,
        height: bh,
        fill: best ? '#2e9d45' : '#6fa8dc',
        stroke: frame.lastArm === i ? '#e8590c' : 'none',
        'stroke-width': 3,
      }),
    );
    g.appendChild(
      el(
        'text',
        {
          x: x + (w - 30) / 2,
          y: top + h - bh - 6,
          'text-anchor': 'middle',
          'font-size': 13,
          'font-weight': 600,
          fill: '#102a43',
        },
        `π=${p.toFixed(2)}`,
      ),
    );
    g.appendChild(
      el(
        'text',
        { x: x + (w - 30) / 2, y: top + h + 18, 'text-anchor': 'middle', 'font-size': 13, fill: '#102a43' },
        `arm ${i}${best ? ' ★' : ''}`,
      ),
    );
    g.appendChild(
      el(
        'text',
        { x: x + (w - 30) / 2, y: top + h + 36, 'text-anchor': 'middle', 'font-size': 12, fill: '#52606d' },
        `mean ${fmt(frame.armValues[i]!)}`,
      ),
    );
    svg.appendChild(g);
  }
}

/**
 * Redraw the world view.
 * @param svg The target `<svg>` element (its children are replaced).
 * @param frame `renderFrame()` of the first env copy, or null when the world cannot render.
 * @param snap The current policy (π and V per state), or null for non-tabular observations.
 */
export function drawWorld(svg: SVGSVGElement, frame: RenderFrame | null, snap: Snapshot | null): void {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  if (!frame) return;
  if (frame.kind === 'grid') drawGrid(svg, frame, snap);
  else if (frame.kind === 'bandit') drawBandit(svg, frame, snap);
  // Continuous worlds (`kind: 'continuous'`) are not offered by the playground yet: nothing to draw.
}

/** The legend text under the world view. */
export function worldLegend(frame: RenderFrame | null): string {
  if (!frame || frame.kind === 'continuous') return '';
  return frame.kind === 'grid'
    ? 'Arrows: π(a|s), one per action, length ∝ probability; orange = the most likely action. Shading and the small number: the critic’s value V(s). Yellow disc: the agent of env copy 0.'
    : 'Bars: the policy’s probability of pulling each arm. Under each arm: its true mean reward (★ = best arm, green).';
}
