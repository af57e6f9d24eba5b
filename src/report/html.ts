// A self-contained HTML report page: inline SVG figures, inline CSS, no scripts and no external resources,
// so it opens offline from disk. Generic: sections hold any SVG or pre-escaped HTML.

export interface ReportSection {
  /** Section heading (plain text). */
  title: string;
  /** One or more SVG figures, inlined as they are. */
  svgs?: string[];
  /** Trusted HTML (e.g. a table built with `htmlTable`), inserted as it is. */
  html?: string;
  /** A caption below the figures (plain text). */
  caption?: string;
  /** Links to data files (relative paths), e.g. the CSV of the plotted series. */
  links?: { href: string; label: string }[];
}

export interface HtmlPageOptions {
  title: string;
  /** Plain-text paragraph under the title. */
  intro?: string;
  sections: ReportSection[];
}

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em;
  color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.figures svg { max-width: 100%; height: auto; }
.caption { color: #555; font-size: 0.92em; max-width: 60em; }
.links a { margin-right: 1em; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
nav a { margin-right: 0.8em; font-size: 0.9em; }
`;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A table of rows; numbers are shown with `digits` significant digits, null as an en dash. */
export function htmlTable(
  header: string[],
  rows: readonly (readonly (string | number | null | undefined)[])[],
  digits = 3,
): string {
  const cell = (v: string | number | null | undefined) =>
    v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))
      ? '&ndash;'
      : typeof v === 'number'
        ? escapeHtml(Number.isInteger(v) ? String(v) : v.toPrecision(digits))
        : escapeHtml(v);
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

function anchor(title: string, i: number): string {
  return `s${i}-${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}`;
}

/** The whole page as one string. */
export function htmlPage(options: HtmlPageOptions): string {
  const nav = options.sections
    .map((s, i) => `<a href="#${anchor(s.title, i)}">${escapeHtml(s.title)}</a>`)
    .join('\n');
  const sections = options.sections.map((s, i) => {
    const parts = [`<section id="${anchor(s.title, i)}">`, `<h2>${escapeHtml(s.title)}</h2>`];
    if (s.svgs?.length) parts.push(`<div class="figures">\n${s.svgs.join('\n')}\n</div>`);
    if (s.html) parts.push(s.html);
    if (s.caption) parts.push(`<p class="caption">${escapeHtml(s.caption)}</p>`);
    if (s.links?.length)
      parts.push(
        `<p class="links">${s.links
          .map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`)
          .join('')}</p>`,
      );
    parts.push('</section>');
    return parts.join('\n');
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(options.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(options.title)}</h1>`,
    options.intro ? `<p class="caption">${escapeHtml(options.intro)}</p>` : '',
    `<nav>${nav}</nav>`,
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
