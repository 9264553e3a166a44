/**
 * Vega-Lite → inline SVG for klip's pages: compile, render headless in Node, then make the markup fit a page of any
 * width (a viewBox, width 100%, no fixed pixel size) and give each mark a hover text (`<title>`). Node only.
 * @module
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { isPlainObject } from '../../core/assert.js';
import { ConfigError } from '../../core/errors.js';

/** A Vega-Lite v5 specification as a plain JSON object. */
export type VegaLiteSpec = Record<string, unknown>;

/**
 * The look of klip's charts (run reports, compare and frontier pages): legends under the plot, so a chart stays
 * narrow on a phone; never truncated (`labelLimit: 0`); slightly larger type, as the SVG is scaled down on narrow
 * pages. A spec's `config`.
 */
export const CHART_CONFIG = Object.freeze({
  legend: Object.freeze({
    orient: 'bottom',
    direction: 'vertical',
    labelLimit: 0,
    titleLimit: 0,
    labelFontSize: 13,
    titleFontSize: 13,
  }),
  axis: Object.freeze({ labelFontSize: 13, titleFontSize: 13 }),
});

/**
 * How much a chart may grow beyond its drawn size on a wide page (1.25 = 25 % larger): it fills narrow columns, but
 * a small picture does not blow up to the full width of a desktop page.
 */
const MAX_UPSCALE = 1.25;

/**
 * Make a rendered SVG responsive: the root's fixed `width`/`height` become `width="100%"` (height follows the
 * viewBox's aspect ratio) with a `max-width` of {@link MAX_UPSCALE} × the drawn width, and a viewBox is added when
 * missing.
 * @param svg Markup from `View.toSVG()`.
 * @returns The same drawing, scaling with its container.
 * @example
 * ```ts
 * responsiveSvg('<svg class="marks" width="200" height="100" viewBox="0 0 200 100"></svg>');
 * // '<svg class="marks" viewBox="0 0 200 100" width="100%" style="max-width:250px"></svg>'
 * ```
 */
export function responsiveSvg(svg: string): string {
  return svg.replace(/^<svg([^>]*)>/, (_m, attrs: string) => {
    const w = Number(/\swidth="([\d.]+)"/.exec(attrs)?.[1] ?? NaN);
    const h = Number(/\sheight="([\d.]+)"/.exec(attrs)?.[1] ?? NaN);
    let rest = attrs.replace(/\s(width|height)="[^"]*"/g, '');
    if (!/\sviewBox="/.test(rest) && Number.isFinite(w) && Number.isFinite(h)) rest += ` viewBox="0 0 ${w} ${h}"`;
    const max = Number.isFinite(w) ? ` style="max-width:${Math.round(w * MAX_UPSCALE)}px"` : '';
    return `<svg${rest} width="100%"${max}>`;
  });
}

/**
 * Give every data mark of a rendered SVG a hover text: Vega writes a mark's tooltip fields into its `aria-label`
 * ("run: a; value: 0.5") on a self-closing element with `role="graphics-symbol"`; this adds the same text as a
 * `<title>` child, which browsers show on hover (Vega's string renderer writes no `<title>` itself). The label is
 * already escaped as an attribute, which is also valid element text.
 * @param svg Markup from `View.toSVG()`.
 * @returns The markup with `<title>` children.
 * @example
 * ```ts
 * svgTooltips('<path aria-label="a: 1" role="graphics-symbol" d="M0,0"/>');
 * // '<path aria-label="a: 1" role="graphics-symbol" d="M0,0"><title>a: 1</title></path>'
 * ```
 */
export function svgTooltips(svg: string): string {
  return svg.replace(/<([a-z]+)(\s[^<>]*?)\/>/g, (m, tag: string, attrs: string) => {
    if (!attrs.includes('role="graphics-symbol"')) return m;
    const label = /\saria-label="([^"]*)"/.exec(attrs)?.[1];
    return label ? `<${tag}${attrs}><title>${label}</title></${tag}>` : m;
  });
}

/**
 * Render one Vega-Lite spec to an SVG string in Node (no canvas, no network): compile to Vega, parse, and run
 * a headless `View` with `renderer: 'none'`. The XML namespace attributes are dropped, as inline SVG in HTML5
 * does not need them, so the page carries no URL at all; the drawing scales with the page ({@link responsiveSvg})
 * and its marks carry hover texts ({@link svgTooltips}).
 * @param spec A Vega-Lite v5 spec with inline data.
 * @returns The `<svg>…</svg>` markup.
 * @throws ConfigError when `spec` has no view (`mark`, `layer`, a concat, `facet` or `repeat`).
 * @example
 * ```ts
 * const svg = await renderSpecToSvg(reportCharts(runs)[0].spec);
 * ```
 */
export async function renderSpecToSvg(spec: VegaLiteSpec): Promise<string> {
  if (!isTopLevelSpec(spec))
    throw new ConfigError({
      fn: 'renderSpecToSvg',
      arg: 'spec',
      expected: 'a Vega-Lite v5 spec with a mark, layer, concat, facet or repeat',
      got: Object.keys(spec),
    });
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svgTooltips(responsiveSvg(svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')));
  } finally {
    view.finalize();
  }
}

/**
 * Whether a JSON object is a top-level Vega-Lite spec: it has a view (`mark`, `layer`, a concat, `facet` or
 * `repeat`). The fields themselves are checked by `vl.compile`.
 */
function isTopLevelSpec(spec: unknown): spec is TopLevelSpec {
  return (
    isPlainObject(spec) &&
    ['mark', 'layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat'].some((k) => spec[k] !== undefined)
  );
}
