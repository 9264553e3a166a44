/**
 * The one page template of klip's HTML outputs (`klip report`, `klip frontier`'s report.html, `klip compare`'s
 * compare.html): a standalone HTML5 document with a viewport, the generator tag that marks it as klip's own file, one
 * shared style sheet and no scripts or network references. Node only.
 * @module
 */

/**
 * The `generator` of every report page: `klip report --out` replaces an existing file only when it carries this
 * (it is a klip report), unless `--force` is given.
 */
export const REPORT_GENERATOR = 'klip report';

/** The `generator` of `compare.html`. */
export const COMPARE_GENERATOR = 'klip compare';

/**
 * The style sheet shared by every klip page (tables right-aligned but for their first column). The page never gets
 * wider than the viewport: charts scale to the column (`svg` width 100%, height from the viewBox), tables scroll
 * sideways inside their own `.table-wrap`, and `.panels` lays small pictures side by side, wrapping.
 */
const STYLE = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1040px;color:#222;padding:0 1rem;overflow-wrap:anywhere}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin:2rem 0 .4rem}
.table-wrap{overflow-x:auto;max-width:100%;margin:.8rem 0}table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ddd;padding:.2rem .45rem;text-align:right;overflow-wrap:normal}th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}td{white-space:nowrap}
figure{margin:0}figure svg{display:block;width:100%;height:auto}figcaption,.caption{color:#555;font-size:.9rem;max-width:760px}pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:12px}
.panels{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}.panels figure{flex:0 1 300px;min-width:0}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;font-size:.85rem;color:#444;margin:.5rem 0}.legend-item{display:inline-flex;align-items:center;gap:.35rem}
.legend .ramp{display:inline-block;width:4em;height:.9em;border:1px solid #ccc}.legend .tile{display:inline-block;width:1.3em;height:1.3em;line-height:1.3em;text-align:center;border:1px solid #bbb;font-size:.8rem}.legend .opt{color:#d62728}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.4em;vertical-align:-.1em}
.muted{color:#777}`;

/** What {@link htmlPage} assembles. */
export interface HtmlPage {
  /** The `<title>` (plain text, escaped here). */
  title: string;
  /** The `<meta name="generator">` value ({@link REPORT_GENERATOR}, {@link COMPARE_GENERATOR}). */
  generator: string;
  /** Extra markup for `<head>` (e.g. a `<style>` for the page's own classes), trusted. @defaultValue '' */
  head?: string;
  /** The `<body>` markup, trusted (escape user text with {@link escapeHtml}). */
  body: string;
}

/**
 * Assemble a standalone HTML page: doctype, `lang="en"`, UTF-8, a viewport meta, the generator meta, the title, the
 * shared style sheet, `head` and `body`.
 * @param page Title, generator, extra head markup and the body.
 * @returns The HTML text, ending with a newline.
 * @example
 * ```ts
 * htmlPage({ title: 'klip report: a', generator: REPORT_GENERATOR, body: '<h1>klip report</h1>' });
 * ```
 */
export function htmlPage(page: HtmlPage): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="${escapeHtml(page.generator)}">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>${page.head ?? ''}</head>
<body>
${page.body}
</body></html>
`;
}

/**
 * Whether an HTML text carries the generator tag `generator` in its first 2000 characters (where {@link htmlPage}
 * puts it): how klip recognises a page it wrote.
 * @param html The page (or its beginning).
 * @param generator The expected generator.
 * @returns True when the tag is there.
 * @example
 * ```ts
 * hasGenerator(htmlPage({ title: 't', generator: REPORT_GENERATOR, body: '' }), REPORT_GENERATOR); // true
 * ```
 */
export function hasGenerator(html: string, generator: string): boolean {
  return html.slice(0, 2000).includes(`<meta name="generator" content="${escapeHtml(generator)}">`);
}

/**
 * Escape text for HTML element content and attribute values.
 * @param s Any text.
 * @returns `s` with `& < > " '` replaced by entities.
 * @example
 * ```ts
 * escapeHtml('<b>'); // "&lt;b&gt;"
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** A colour as `#rrggbb`: the only form {@link htmlTable} puts into a swatch's style. */
const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

/**
 * A plain `<table>` inside a `<div class="table-wrap">` (so a wide table scrolls sideways on its own instead of
 * widening the page): one header row and one row per entry, every cell escaped.
 * @param head Column heads.
 * @param rows Rows of cell texts.
 * @param className Optional `class` attribute. @defaultValue none
 * @param swatches Optional colour per row (`#rrggbb`, e.g. the run's line colour), drawn as a square before the first
 *   cell; other values draw no swatch. @defaultValue none
 * @returns The table markup.
 * @example
 * ```ts
 * htmlTable(['β', 'KL'], [['0.1', '0.52']]);
 * htmlTable(['run'], [['a']], 'summary', ['#1f77b4']); // a blue square before "a"
 * ```
 */
export function htmlTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  className?: string,
  swatches?: readonly string[],
): string {
  const cls = className === undefined ? '' : ` class="${escapeHtml(className)}"`;
  const swatch = (i: number): string => {
    const c = swatches?.[i];
    return c !== undefined && HEX_COLOUR.test(c) ? `<span class="swatch" style="background:${c}"></span>` : '';
  };
  const tr = (cells: readonly string[], tag: 'th' | 'td', row = -1): string =>
    `<tr>${cells.map((c, j) => `<${tag}>${j === 0 && row >= 0 ? swatch(row) : ''}${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<div class="table-wrap"><table${cls}><thead>${tr(head, 'th')}</thead><tbody>${rows.map((r, i) => tr(r, 'td', i)).join('')}</tbody></table></div>`;
}
