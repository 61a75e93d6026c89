/** Plain-text layout for a terminal: aligned columns and label/value blocks, no escape codes. */

interface Column {
  header: string;
  align?: 'left' | 'right';
}

const GAP = '  ';

export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => (c.align === 'right' ? (cells[i] ?? '').padStart(widths[i] ?? 0) : (cells[i] ?? '').padEnd(widths[i] ?? 0)))
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...rows.map(line)].join('\n');
}

/** Multi-line values keep their lines, indented under the value column. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs
    .map(([label, value]) => `${label.padEnd(width)}${GAP}${value.split('\n').join(`\n${' '.repeat(width + GAP.length)}`)}`)
    .join('\n');
}

/** One line, at most `max` characters: a cell must not break the alignment of its table. */
export function cell(value: string | null | undefined, max = 60): string {
  const flat = (value ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
