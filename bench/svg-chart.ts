/**
 * A small SVG line-chart writer (no dependencies): side-by-side panels sharing axes and one
 * legend, a log or linear x axis, optional vertical markers (a goal). Enough for a latency CDF
 * a person can read in a browser or a pull request.
 */

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  /** (x, y) in data units, ascending x. */
  points: readonly (readonly [number, number])[];
}

export interface Panel {
  title: string;
  series: readonly Series[];
  /** Lines of text in the plot's upper left, e.g. for series that stay off the chart. */
  notes?: readonly { text: string; color: string }[];
}

export interface Marker {
  x: number;
  label: string;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  x: { min: number; max: number; log?: boolean; ticks: readonly number[]; format: (v: number) => string };
  y: { min: number; max: number; ticks: readonly number[]; format: (v: number) => string };
  markers?: readonly Marker[];
  panels: readonly Panel[];
  /** Panels per row. */
  columns?: number;
}

const PANEL_W = 360;
const PANEL_H = 270;
const MARGIN = { left: 62, right: 18, top: 34, bottom: 46 };
const HEADER_H = 58;
const LEGEND_ROW_H = 20;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export function lineChart(options: ChartOptions): string {
  const columns = Math.max(1, Math.min(options.columns ?? options.panels.length, options.panels.length));
  const rows = Math.ceil(options.panels.length / columns);
  const cellW = MARGIN.left + PANEL_W + MARGIN.right;
  const cellH = MARGIN.top + PANEL_H + MARGIN.bottom;

  const legend = new Map<string, Series>();
  for (const panel of options.panels)
    for (const s of panel.series) if (!legend.has(s.label)) legend.set(s.label, s);
  const legendColumns = Math.max(1, Math.floor((cellW * columns - 40) / 300));
  const legendRows = Math.ceil(legend.size / legendColumns);
  const width = cellW * columns;
  const height = HEADER_H + cellH * rows + 16 + legendRows * LEGEND_ROW_H + 12;

  const { x, y } = options;
  const fx = (v: number): number => {
    const t = x.log
      ? (Math.log10(Math.max(v, x.min)) - Math.log10(x.min)) / (Math.log10(x.max) - Math.log10(x.min))
      : (v - x.min) / (x.max - x.min);
    return Math.min(1, Math.max(0, t)) * PANEL_W;
  };
  const fy = (v: number): number => PANEL_H - ((v - y.min) / (y.max - y.min)) * PANEL_H;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="17" font-weight="600" fill="#111">${escapeXml(options.title)}</text>`,
  );
  if (options.subtitle)
    out.push(`<text x="16" y="44" font-size="12" fill="#555">${escapeXml(options.subtitle)}</text>`);

  options.panels.forEach((panel, index) => {
    const ox = (index % columns) * cellW + MARGIN.left;
    const oy = HEADER_H + Math.floor(index / columns) * cellH + MARGIN.top;
    out.push(`<g transform="translate(${ox},${oy})">`);
    out.push(
      `<text x="${PANEL_W / 2}" y="-12" font-size="14" font-weight="600" text-anchor="middle" fill="#111">${escapeXml(panel.title)}</text>`,
    );
    for (const t of y.ticks) {
      const py = num(fy(t));
      out.push(
        `<line x1="0" x2="${PANEL_W}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`,
        `<text x="-8" y="${py}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="#444">${escapeXml(y.format(t))}</text>`,
      );
    }
    for (const t of x.ticks) {
      const px = num(fx(t));
      out.push(
        `<line x1="${px}" x2="${px}" y1="0" y2="${PANEL_H}" stroke="#e5e5e5"/>`,
        `<text x="${px}" y="${PANEL_H + 16}" font-size="11" text-anchor="middle" fill="#444">${escapeXml(x.format(t))}</text>`,
      );
    }
    out.push(`<rect x="0" y="0" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    for (const m of options.markers ?? []) {
      const px = num(fx(m.x));
      out.push(
        `<line x1="${px}" x2="${px}" y1="0" y2="${PANEL_H}" stroke="#c00" stroke-width="1.2" stroke-dasharray="2 3"/>`,
        `<text x="${num(fx(m.x) + 4)}" y="${PANEL_H - 6}" font-size="11" fill="#c00">${escapeXml(m.label)}</text>`,
      );
    }
    for (const s of panel.series) {
      if (s.points.length === 0) continue;
      const path = s.points
        .map(([vx, vy], i) => `${i === 0 ? 'M' : 'L'}${num(fx(vx))},${num(fy(vy))}`)
        .join('');
      out.push(
        `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    (panel.notes ?? []).forEach((note, i) => {
      out.push(
        `<text x="6" y="${16 + i * 15}" font-size="11" fill="${note.color}">${escapeXml(note.text)}</text>`,
      );
    });
    out.push(
      `<text x="${PANEL_W / 2}" y="${PANEL_H + 36}" font-size="12" text-anchor="middle" fill="#222">${escapeXml(options.xLabel)}</text>`,
      `<text transform="translate(-46,${PANEL_H / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#222">${escapeXml(options.yLabel)}</text>`,
      '</g>',
    );
  });

  const legendTop = HEADER_H + cellH * rows + 16;
  [...legend.values()].forEach((s, i) => {
    const lx = 24 + (i % legendColumns) * 300;
    const ly = legendTop + Math.floor(i / legendColumns) * LEGEND_ROW_H;
    out.push(
      `<line x1="${lx}" x2="${lx + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 38}" y="${ly}" font-size="12" dominant-baseline="middle" fill="#222">${escapeXml(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
