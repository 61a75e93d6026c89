/**
 * Tables laid out by cli-table3 with wide characters (CJK, emoji) in their cells: the columns are
 * sized by display width, as `string-width` (cli-table3's own) measures it, not by string length,
 * so the borders and columns still line up.
 */
import stringWidth from 'string-width';
import { markdownTable } from '../dev/bench/table';
import { fields, table } from '../ops/table';

const WIDE = ['漢字のテキスト', '🚀 fast', 'naïve ascii'];

const displayWidths = (text: string): number[] => text.split('\n').map((line) => stringWidth(line));

it('keeps the borders of a Markdown table in line around wide characters', () => {
  const rendered = markdownTable(['figure', 'value'], WIDE.map((text, i) => [text, String(i * 100)]));
  expect(rendered).toContain('| 漢字のテキスト |');
  expect(new Set(displayWidths(rendered)).size).toBe(1);
});

it('keeps the columns of an operator table in line around wide characters', () => {
  // Right-aligned last column: no line ends early, so each is as wide as the table.
  const rendered = table([{ header: 'id' }, { header: 'text' }, { header: 'attempts', align: 'right' }], WIDE.map((text, i) => [`r${i}`, text, String(10 ** i)]));
  expect(rendered.split('\n')[0]).toMatch(/^ID\s+TEXT\s+ATTEMPTS$/);
  expect(new Set(displayWidths(rendered)).size).toBe(1);
});

it('keeps the value column of a label/value block in line around wide labels', () => {
  const rendered = fields(WIDE.map((label) => [label, 'x'] as const));
  expect(rendered.split('\n').every((line) => line.endsWith('  x'))).toBe(true);
  expect(new Set(displayWidths(rendered)).size).toBe(1);
});
