/**
 * SVG bar charts of benchmark results: one bar per row, the speed of lkl
 * relative to the row's reference (1 = as fast as the reference, 2 =
 * twice as fast, 0.5 = half as fast), whatever the unit, so times and
 * throughputs read the same way. Plain SVG, no dependencies.
 *
 * @module
 */

import type { Row, SuiteResult } from "./suite.ts";

/** How fast lkl is compared with the reference: > 1 is faster. */
export function relativeSpeed(row: Row): number {
  return row.lowerIsBetter ? row.reference / row.value : row.value / row.reference;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const BAR_AREA = 420;
const ROW = 30;
const TOP = 44;
/** Bars longer than this many times the reference are cut (the label keeps the value). */
const CAP = 4;
/** Rough width of a character of the 13 px labels. */
const CHAR = 7.2;

/**
 * The rows to draw: a measurement reported in two units (Mbit/s and
 * packets/s) has the same relative speed twice; it gets one bar.
 */
function distinctRows(rows: Row[]): Row[] {
  return rows.filter((row, i) =>
    !rows.slice(0, i).some((r) =>
      r.name === row.name && Math.abs(relativeSpeed(r) - relativeSpeed(row)) < 1e-9
    )
  );
}

/** The chart of one suite's result, as an SVG document. */
export function svgChart(result: SuiteResult, title = result.suite): string {
  const rows = distinctRows(result.rows);
  const speeds = rows.map(relativeSpeed);
  const label = Math.ceil(Math.max(...rows.map((r) => r.name.length)) * CHAR) + 20;
  const width = Math.max(label + BAR_AREA + 70, Math.ceil(title.length * 8.6) + 20);
  // Scale to the largest bar (at most CAP), always showing the reference line at 1.
  const max = Math.max(1.25, ...speeds.map((s) => Math.min(s, CAP)));
  const x = (v: number) => label + (Math.min(v, max) / max) * BAR_AREA;
  const height = TOP + rows.length * ROW + 36;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="38" fill="#555">speed of lkl relative to the reference ` +
    `(1 = same; longer is better; bars stop at ${CAP}×)</text>`,
  ];
  rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    const speed = speeds[i];
    const color = speed >= 1 ? "#2e7d32" : speed >= 0.5 ? "#f9a825" : "#c62828";
    parts.push(
      `<g><title>${
        escape(
          `${row.name}: ${row.value.toPrecision(4)} ${row.unit} vs ${
            row.reference.toPrecision(4)
          } ${row.unit} (${row.referenceName})`,
        )
      }</title>`,
      `<text x="${label - 8}" y="${y + 18}" text-anchor="end">${escape(row.name)}</text>`,
      `<rect x="${label}" y="${y + 5}" width="${Math.max(1, x(speed) - label).toFixed(1)}" ` +
        `height="18" fill="${color}"/>`,
      `<text x="${(x(speed) + 5).toFixed(1)}" y="${y + 18}">${speed.toFixed(2)}×</text></g>`,
    );
  });
  const one = x(1).toFixed(1);
  const bottom = TOP + rows.length * ROW;
  parts.push(
    `<line x1="${one}" y1="${TOP}" x2="${one}" y2="${bottom}" stroke="#333" ` +
      `stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${bottom + 16}" text-anchor="middle" fill="#333">reference</text>`,
    `</svg>`,
  );
  return parts.join("\n") + "\n";
}
