/**
 * `--chart`: the throughput and latency figures as one PNG for BENCHMARKS.md, drawn as SVG here and
 * rasterised by the headless Chromium the browser tests already use (scripts/browser.ts), so no
 * charting package is needed.
 */
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '../browser';
import type { Spread } from './stats';
import type { Figure, LatencyRow, Summary } from './summary';

interface Bar {
  label: string;
  spread: Spread;
  colour: string;
}

const WIDTH = 980;
const PANEL = { top: 50, height: 230, left: 70, width: 880 };
const COLOURS = { baseline: '#8c8c8c', pipeline: '#2f6db5', other: '#6aa84f', p50: '#9ec5e8', p95: '#4f8fcf', p99: '#1f4f8a' };

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const text = (x: number, y: number, s: string, extra = ''): string => `<text x="${x}" y="${y}" font-size="11" ${extra}>${escape(s)}</text>`;

function throughputBars(figures: Figure[]): Bar[] {
  const pick = (prefix: string, label: string, colour: string): Bar[] =>
    figures.filter((f) => f.label.startsWith(prefix) && f.unit === 'records/s').slice(0, 1).map((f) => ({ label, spread: f.spread, colour }));
  return [
    ...pick('1. throughput: baseline, 3 regular', 'baseline, 3 regular', COLOURS.baseline),
    ...pick('1. throughput: baseline, mixed', 'baseline, mixed', COLOURS.baseline),
    ...pick('1. throughput: pipeline', 'pipeline', COLOURS.pipeline),
    ...pick('6. scaling: 2 worker', 'pipeline, 2 workers', COLOURS.other),
    ...pick('4. faults: 30 %', '30 % faults', COLOURS.other),
    ...pick('3. isolation: B with A healthy', 'B, A healthy', COLOURS.other),
    ...pick('3. isolation: B with A answering', 'B, A at 5 s', COLOURS.other),
  ];
}

function throughputPanel(bars: Bar[], top: number): string {
  const max = Math.max(1, ...bars.map((b) => b.spread.max)) * 1.1;
  const slot = PANEL.width / Math.max(1, bars.length);
  const y = (v: number) => top + PANEL.height - (v / max) * PANEL.height;
  const drawn = bars.map((b, i) => {
    const x = PANEL.left + i * slot + slot * 0.2;
    const w = slot * 0.6;
    return [
      `<rect x="${x}" y="${y(b.spread.median)}" width="${w}" height="${top + PANEL.height - y(b.spread.median)}" fill="${b.colour}"/>`,
      `<line x1="${x + w / 2}" x2="${x + w / 2}" y1="${y(b.spread.min)}" y2="${y(b.spread.max)}" stroke="#000"/>`,
      text(x + w / 2, y(b.spread.median) - 6, b.spread.median.toFixed(1), 'text-anchor="middle"'),
      text(x + w / 2, top + PANEL.height + 16, b.label, 'text-anchor="middle"'),
    ].join('');
  });
  return [text(PANEL.left, top - 12, 'Throughput, records/s (median; line: min–max of the repetitions)', 'font-weight="bold" font-size="13"'), ...drawn].join('');
}

function latencyPanel(rows: LatencyRow[], top: number): string {
  const posts = rows.filter((r) => r.endpoint.startsWith('POST') || r.mode === 'api-only');
  const y = (ms: number) => top + PANEL.height - (Math.log10(Math.max(1, ms)) / 4) * PANEL.height;
  const slot = PANEL.width / Math.max(1, posts.length);
  const grid = [1, 10, 100, 1000, 10000].map((ms) => `<line x1="${PANEL.left}" x2="${PANEL.left + PANEL.width}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/>${text(PANEL.left - 8, y(ms) + 4, `${ms} ms`, 'text-anchor="end"')}`);
  const target = `<line x1="${PANEL.left}" x2="${PANEL.left + PANEL.width}" y1="${y(50)}" y2="${y(50)}" stroke="#c00" stroke-dasharray="4 3"/>`;
  const legend = (['p50', 'p95', 'p99'] as const).map((p, i) => `<rect x="${PANEL.left + 470 + i * 60}" y="${top - 22}" width="10" height="10" fill="${COLOURS[p]}"/>${text(PANEL.left + 484 + i * 60, top - 13, p)}`);
  const targetKey = `<line x1="${PANEL.left + 660}" x2="${PANEL.left + 685}" y1="${top - 17}" y2="${top - 17}" stroke="#c00" stroke-dasharray="4 3"/>${text(PANEL.left + 690, top - 13, 'target: p99 ≤ 50 ms at 100/s', 'fill="#c00"')}`;
  const drawn = posts.map((r, i) => {
    const x = PANEL.left + i * slot + slot * 0.15;
    const w = (slot * 0.7) / 3;
    const bars = (['p50', 'p95', 'p99'] as const).map((p, j) => {
      const v = r[`${p}Ms`].median;
      return `<rect x="${x + j * w}" y="${y(v)}" width="${w - 1}" height="${top + PANEL.height - y(v)}" fill="${COLOURS[p]}"/>`;
    });
    const label = `${r.endpoint.startsWith('GET') ? 'healthz' : 'POST'} ${r.ratePerSecond}/s`;
    const mode = r.endpoint.startsWith('GET') ? '' : r.mode === 'with-worker' ? 'worker running' : 'no worker';
    return bars.join('') + text(x + w * 1.5, top + PANEL.height + 15, label, 'text-anchor="middle"') + text(x + w * 1.5, top + PANEL.height + 28, mode, 'text-anchor="middle" fill="#555"');
  });
  return [text(PANEL.left, top - 12, 'Ingest latency, ms, log scale (medians)', 'font-weight="bold" font-size="13"'), ...legend, targetKey, ...grid, target, ...drawn].join('');
}

export function chartSvg(summary: Summary): string {
  const second = PANEL.top + PANEL.height + 90;
  const height = second + PANEL.height + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${throughputPanel(throughputBars(summary.figures), PANEL.top)}${latencyPanel(summary.latency, second)}</svg>`;
}

export async function writeChart(summary: Summary, pngFile: string): Promise<void> {
  const svg = chartSvg(summary);
  writeFileSync(pngFile.replace(/\.png$/, '.svg'), svg);
  const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 700 } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: pngFile });
  } finally {
    await browser.close();
  }
}
