/** Log lines like Go's log package (`2014/06/12 01:23:08 message`), local time, to stderr by default. */
export type Logger = (msg: string) => void;

const two = (n: number): string => String(n).padStart(2, '0');

export function goTimestamp(d = new Date()): string {
  return `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function stderrLogger(prefix = ''): Logger {
  return (msg) => process.stderr.write(`${goTimestamp()} ${prefix}${msg}\n`);
}
