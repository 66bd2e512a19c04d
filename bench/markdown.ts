/** Formatting shared by the sections of the benchmark report. */

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

export function ms(value: number): string {
  return value.toFixed(2);
}

export function kb(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}
