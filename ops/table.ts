/** Plain-text layout for a terminal: aligned columns and label/value blocks, no escape codes. */
import Table from 'cli-table3';

interface Column {
  header: string;
  align?: 'left' | 'right';
}

// No borders and no colours: columns two spaces apart.
const PLAIN: Table.TableConstructorOptions = {
  chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [] },
};

// cli-table3 pads the last column to its width as well; a line ends where its text does.
const render = (layout: Table.Table): string => layout.toString().split('\n').map((line) => line.trimEnd()).join('\n');

export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const layout = new Table({ ...PLAIN, head: columns.map((c) => c.header.toUpperCase()), colAligns: columns.map((c) => c.align ?? 'left') });
  layout.push(...rows.map((row) => columns.map((_, i) => row[i] ?? '')));
  return render(layout);
}

/** Multi-line values keep their lines, indented under the value column. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const layout = new Table(PLAIN);
  layout.push(...pairs.map(([label, value]) => [label, value]));
  return render(layout);
}

/** One line, at most `max` characters: a row of a listing stays one line, and a long error does not widen the table. */
export function cell(value: string | null | undefined, max = 60): string {
  const flat = (value ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
