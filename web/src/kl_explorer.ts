/**
 * The KL explorer: two categorical distributions p (teacher) and q (student) drawn as bars that can be dragged
 * (or nudged with the arrow keys); KL(p‖q), KL(q‖p), JS and TV are recomputed on every change with klip's
 * float64 `klProbs` / `jsProbs` / `tvProbs`. Preloaded with the teacher [0.7, 0.3] / student [0.4, 0.6] example.
 * @module
 */
import { klProbs, jsProbs, tvProbs } from 'klip';

const SVG = 'http://www.w3.org/2000/svg';
/** Teacher and student of the docs' running example. */
export const TEACHER: readonly number[] = [0.7, 0.3];
/** See {@link TEACHER}. */
export const STUDENT: readonly number[] = [0.4, 0.6];
/** Most categories a distribution of the explorer may have. */
export const MAX_CATEGORIES = 6;
const BAR_H = 150;
const BAR_W = 46;

/**
 * Set entry `i` of `dist` to `v` (clamped to [0, 1]) and rescale the others so the sum stays 1.
 * When the others are all 0 they share the remainder equally.
 */
export function setProbability(dist: readonly number[], i: number, v: number): number[] {
  const x = Math.min(1, Math.max(0, v));
  const rest = dist.reduce((s, d, j) => (j === i ? s : s + d), 0);
  const n = dist.length - 1;
  return dist.map((d, j) => (j === i ? x : rest > 0 ? (d / rest) * (1 - x) : (1 - x) / n));
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : '∞';
}

interface Side {
  key: 'p' | 'q';
  name: string;
  colour: string;
  svg: SVGSVGElement;
}

/**
 * Mount the explorer into `root` (its children are replaced).
 * @param onChange Called with both distributions after every change (drag, key, button or `set`).
 * @returns Functions to read and set the two distributions (used by the page's test hook and the URL).
 */
export function mountKlExplorer(
  root: HTMLElement,
  onChange: (p: readonly number[], q: readonly number[]) => void = () => undefined,
): {
  get(): { p: number[]; q: number[] };
  set(p: number[], q: number[]): void;
} {
  let p = [...TEACHER];
  let q = [...STUDENT];
  root.replaceChildren();
  root.innerHTML = `
    <div class="kl-row">
      <div class="kl-dist"><h3><span class="swatch p"></span>p — teacher</h3><svg data-testid="kl-p" role="group" aria-label="distribution p"></svg></div>
      <div class="kl-readout">
        <table>
          <tr><th>KL(p‖q)</th><td data-testid="kl-pq"></td><td class="kl-note">forward: q is penalized where p has mass and q has little (mass-covering)</td></tr>
          <tr><th>KL(q‖p)</th><td data-testid="kl-qp"></td><td class="kl-note">reverse: q is penalized for mass where p has little (mode-seeking)</td></tr>
          <tr><th>JS(p, q)</th><td data-testid="kl-js"></td><td class="kl-note">Jensen–Shannon: symmetric, at most ln 2 ≈ 0.6931</td></tr>
          <tr><th>TV(p, q)</th><td data-testid="kl-tv"></td><td class="kl-note">total variation ½Σ|p−q|, in [0, 1]</td></tr>
        </table>
        <div class="kl-buttons">
          <button type="button" data-action="example">Teacher/student example</button>
          <button type="button" data-action="equal">q ← p</button>
          <button type="button" data-action="add">+ category</button>
          <button type="button" data-action="remove">− category</button>
        </div>
        <p class="kl-hint">Drag a bar up or down (or focus it and use ↑/↓). The other bars of that distribution rescale so it still sums to 1. All values in nats.</p>
      </div>
      <div class="kl-dist"><h3><span class="swatch q"></span>q — student</h3><svg data-testid="kl-q" role="group" aria-label="distribution q"></svg></div>
    </div>`;
  const sides: Side[] = [
    { key: 'p', name: 'p', colour: '#3b7dd8', svg: root.querySelector('[data-testid="kl-p"]') as SVGSVGElement },
    { key: 'q', name: 'q', colour: '#e8590c', svg: root.querySelector('[data-testid="kl-q"]') as SVGSVGElement },
  ];
  const out = {
    pq: root.querySelector('[data-testid="kl-pq"]') as HTMLElement,
    qp: root.querySelector('[data-testid="kl-qp"]') as HTMLElement,
    js: root.querySelector('[data-testid="kl-js"]') as HTMLElement,
    tv: root.querySelector('[data-testid="kl-tv"]') as HTMLElement,
  };

  const get = (k: 'p' | 'q'): number[] => (k === 'p' ? p : q);
  const put = (k: 'p' | 'q', d: number[]): void => {
    if (k === 'p') p = d;
    else q = d;
    render();
  };

  function drawSide(side: Side): void {
    const d = get(side.key);
    const svg = side.svg;
    const width = d.length * (BAR_W + 12) + 12;
    const height = BAR_H + 46;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.replaceChildren();
    d.forEach((v, i) => {
      const x = 12 + i * (BAR_W + 12);
      const g = document.createElementNS(SVG, 'g');
      g.setAttribute('class', 'kl-bar');
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'slider');
      g.setAttribute('aria-label', `${side.name}(${i})`);
      g.setAttribute('aria-valuemin', '0');
      g.setAttribute('aria-valuemax', '1');
      g.setAttribute('aria-valuenow', v.toFixed(4));
      g.dataset.dist = side.key;
      g.dataset.index = String(i);
      const track = document.createElementNS(SVG, 'rect');
      for (const [a, val] of Object.entries({
        x,
        y: 20,
        width: BAR_W,
        height: BAR_H,
        fill: '#eef2f7',
        stroke: '#d9e2ec',
      }))
        track.setAttribute(a, String(val));
      const bar = document.createElementNS(SVG, 'rect');
      for (const [a, val] of Object.entries({
        x,
        y: 20 + BAR_H * (1 - v),
        width: BAR_W,
        height: BAR_H * v,
        fill: side.colour,
      }))
        bar.setAttribute(a, String(val));
      bar.setAttribute('class', 'kl-fill');
      const label = document.createElementNS(SVG, 'text');
      for (const [a, val] of Object.entries({
        x: x + BAR_W / 2,
        y: 14,
        'text-anchor': 'middle',
        'font-size': 13,
        'font-weight': 600,
        fill: '#102a43',
      }))
        label.setAttribute(a, String(val));
      label.textContent = v.toFixed(2);
      const cat = document.createElementNS(SVG, 'text');
      for (const [a, val] of Object.entries({
        x: x + BAR_W / 2,
        y: BAR_H + 38,
        'text-anchor': 'middle',
        'font-size': 12,
        fill: '#52606d',
      }))
        cat.setAttribute(a, String(val));
      cat.textContent = `${side.name}(${i})`;
      g.append(track, bar, label, cat);
      svg.appendChild(g);
    });
  }

  function render(): void {
    for (const s of sides) drawSide(s);
    out.pq.textContent = fmt(klProbs(p, q));
    out.qp.textContent = fmt(klProbs(q, p));
    out.js.textContent = fmt(jsProbs(p, q));
    out.tv.textContent = fmt(tvProbs(p, q));
    onChange(p, q);
  }

  /** Probability under the pointer: bar top follows the pointer's y inside the track. */
  function valueAt(svg: SVGSVGElement, clientY: number): number {
    const box = svg.getBoundingClientRect();
    const vb = svg.viewBox.baseVal;
    const y = ((clientY - box.top) / box.height) * vb.height;
    return Math.round((1 - (y - 20) / BAR_H) * 100) / 100;
  }

  for (const side of sides) {
    let dragging: number | null = null;
    side.svg.addEventListener('pointerdown', (ev) => {
      const g = (ev.target as Element).closest('g.kl-bar') as SVGGElement | null;
      if (!g) return;
      dragging = Number(g.dataset.index);
      side.svg.setPointerCapture(ev.pointerId);
      put(side.key, setProbability(get(side.key), dragging, valueAt(side.svg, ev.clientY)));
      ev.preventDefault();
    });
    side.svg.addEventListener('pointermove', (ev) => {
      if (dragging === null) return;
      put(side.key, setProbability(get(side.key), dragging, valueAt(side.svg, ev.clientY)));
    });
    const stop = (): void => {
      dragging = null;
    };
    side.svg.addEventListener('pointerup', stop);
    side.svg.addEventListener('pointercancel', stop);
    side.svg.addEventListener('keydown', (ev) => {
      const g = (ev.target as Element).closest('g.kl-bar') as SVGGElement | null;
      if (!g || (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown')) return;
      const i = Number(g.dataset.index);
      const d = get(side.key);
      put(side.key, setProbability(d, i, (d[i] ?? 0) + (ev.key === 'ArrowUp' ? 0.01 : -0.01)));
      (side.svg.querySelector(`g.kl-bar[data-index="${i}"]`) as SVGGElement | null)?.focus();
      ev.preventDefault();
    });
  }

  root.querySelector('.kl-buttons')!.addEventListener('click', (ev) => {
    const action = (ev.target as HTMLElement).dataset.action;
    if (action === 'example') {
      p = [...TEACHER];
      q = [...STUDENT];
    } else if (action === 'equal') {
      q = [...p];
    } else if (action === 'add' && p.length < MAX_CATEGORIES) {
      p = [...p.map((x) => x * 0.9), 0.1];
      q = [...q.map((x) => x * 0.9), 0.1];
    } else if (action === 'remove' && p.length > 2) {
      const renorm = (d: number[]): number[] => {
        const kept = d.slice(0, -1);
        const s = kept.reduce((a, b) => a + b, 0);
        return s > 0 ? kept.map((x) => x / s) : kept.map(() => 1 / kept.length);
      };
      p = renorm(p);
      q = renorm(q);
    } else {
      return;
    }
    render();
  });

  render();
  return {
    get: () => ({ p: [...p], q: [...q] }),
    set: (np: number[], nq: number[]) => {
      p = [...np];
      q = [...nq];
      render();
    },
  };
}
