/**
 * Colours of the text output. With colour on, chalk paints; with it off (not a terminal, NO_COLOR,
 * --no-color) every painter returns its text unchanged and chalk is not even loaded: that is a
 * tenth of a second's start-up budget on a big capture, for nothing.
 */
export interface Painter {
  (s: string): string;
  readonly bold: (s: string) => string;
}

export interface Palette {
  readonly red: Painter;
  readonly yellow: Painter;
  readonly green: Painter;
  readonly cyan: Painter;
  readonly magenta: Painter;
  readonly dim: Painter;
  readonly bold: Painter;
}

export interface Style {
  readonly c: Palette;
  readonly color: boolean;
}

const same = (s: string): string => s;
const plainPainter: Painter = Object.assign((s: string): string => s, { bold: same });
export const PLAIN_STYLE: Style = {
  color: false,
  c: { red: plainPainter, yellow: plainPainter, green: plainPainter, cyan: plainPainter, magenta: plainPainter, dim: plainPainter, bold: plainPainter },
};

export async function makeStyle(color: boolean): Promise<Style> {
  if (!color) return PLAIN_STYLE;
  const { Chalk } = await import('chalk');
  return { c: new Chalk({ level: 1 }), color: true };
}
