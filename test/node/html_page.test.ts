/**
 * The one page template of klip's HTML outputs: every page (report, frontier, compare) carries the viewport, its
 * generator and the shared style; text is escaped; klip recognises its pages by the generator tag.
 */
import { describe, expect, it } from 'vitest';
import { compareFile } from '../../src/node/compare/file.js';
import { renderCompareHtml } from '../../src/node/compare/outputs.js';
import {
  COMPARE_GENERATOR,
  REPORT_GENERATOR,
  escapeHtml,
  hasGenerator,
  htmlPage,
  htmlTable,
} from '../../src/node/html_page.js';
import { renderReportHtml } from '../../src/node/report.js';

describe('htmlPage', () => {
  it('assembles a standalone page: doctype, viewport, generator, escaped title, head and body', () => {
    const page = htmlPage({ title: 'a <b> & c', generator: 'klip x', head: '<style>p{}</style>', body: '<p>hi</p>' });
    expect(page.startsWith('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">')).toBe(true);
    expect(page).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(page).toContain('<meta name="generator" content="klip x">');
    expect(page).toContain('<title>a &lt;b&gt; &amp; c</title>');
    expect(page).toContain('<style>p{}</style></head>\n<body>\n<p>hi</p>\n</body></html>\n');
    expect(hasGenerator(page, 'klip x')).toBe(true);
    expect(hasGenerator(page, REPORT_GENERATOR)).toBe(false);
    expect(hasGenerator(`${' '.repeat(2000)}${page}`, 'klip x')).toBe(false); // only the page's beginning counts
  });

  it('escapes every table cell and wraps the table in its own scrolling box', () => {
    expect(htmlTable(['a<'], [['"x"', "y'"]], 'c')).toBe(
      '<div class="table-wrap"><table class="c"><thead><tr><th>a&lt;</th></tr></thead><tbody><tr><td>&quot;x&quot;</td><td>y&#39;</td></tr></tbody></table></div>',
    );
    expect(htmlPage({ title: 't', generator: 'g', body: '' })).toContain('.table-wrap{overflow-x:auto');
  });

  it('draws a swatch only for a #rrggbb colour (no markup can ride in on a colour)', () => {
    expect(htmlTable(['run'], [['a'], ['b'], ['c']], undefined, ['#1f77b4', 'red"><script>', ''])).toBe(
      '<div class="table-wrap"><table><thead><tr><th>run</th></tr></thead><tbody><tr><td><span class="swatch" style="background:#1f77b4"></span>a</td></tr><tr><td>b</td></tr><tr><td>c</td></tr></tbody></table></div>',
    );
    expect(escapeHtml(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
  });

  it('is the frame of the report and of compare.html, each with its generator', async () => {
    const report = await renderReportHtml([]);
    const cmp = await renderCompareHtml(
      compareFile(
        { env: 'bandit', objectives: ['clip'], controllers: [], seeds: [1], totalSteps: 8, base: {} },
        null,
        [],
      ),
    );
    for (const [page, gen] of [
      [report, REPORT_GENERATOR],
      [cmp, COMPARE_GENERATOR],
    ] as const) {
      expect(hasGenerator(page, gen)).toBe(true);
      expect(page).toContain('<meta name="viewport"');
      expect(page).toContain('td,th{border:1px solid #ddd');
    }
    expect(cmp).toContain('<title>klip compare: bandit</title>');
    expect(cmp).toContain('<h1>klip compare on bandit</h1>');
  });
});
