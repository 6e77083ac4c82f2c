/**
 * The time columns of text traces. tshark `-t r|d|dd|e` and tcpdump `-tt` print seconds, `-t a|u`
 * and tcpdump's default a time of day, `-t ad|ud` and tcpdump `-tttt` a date and time, tcpdump
 * `-ttt`/`-ttttt` a `00:00:00.000191` span. The column alone does not say whether a value is a
 * point in time or a delta from the previous line: {@link resolveTimes} decides for a whole trace.
 */

export type TimeShape = 'seconds' | 'clock' | 'date';

export interface TextTime {
  shape: TimeShape;
  /** Whole seconds (since the epoch for `date`, since midnight for `clock`). */
  sec: number;
  /** Nanoseconds within the second. */
  nsec: number;
}

/** Regular-expression source matching every time column above (no capture groups). */
export const TIME_SOURCE = String.raw`(?:\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?|\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?|-?\d+\.\d{1,9})`;

const DATE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const SECONDS = /^(-?)(\d+)\.(\d{1,9})$/;

const nanos = (frac: string | undefined): number => (frac ? Number(frac.padEnd(9, '0')) : 0);

/** Parse one time column; null if it is none of the shapes. */
export function parseTime(text: string): TextTime | null {
  let m = SECONDS.exec(text);
  if (m) {
    // tshark -t d prints negative deltas where time goes back: -4.9 s is sec -5, nsec 0.1e9.
    const whole = Number(m[2]);
    const frac = nanos(m[3]);
    if (!Number.isSafeInteger(whole) || whole > 1e12) return null;
    if (m[1] !== '-') return { shape: 'seconds', sec: whole, nsec: frac };
    return frac === 0 ? { shape: 'seconds', sec: -whole, nsec: 0 } : { shape: 'seconds', sec: -whole - 1, nsec: 1e9 - frac };
  }
  m = CLOCK.exec(text);
  if (m) {
    const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (h > 23 || mi > 59 || s > 60) return null;
    return { shape: 'clock', sec: h * 3600 + mi * 60 + s, nsec: nanos(m[4]) };
  }
  m = DATE.exec(text);
  if (m) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    if (!Number.isFinite(ms)) return null;
    return { shape: 'date', sec: Math.floor(ms / 1000), nsec: nanos(m[7]) };
  }
  return null;
}

export type TimeMode = 'absolute' | 'since-first' | 'delta' | 'none';

export interface ResolvedTimes {
  mode: TimeMode;
  shape: TimeShape | null;
  /** Per input entry: capture time (sec, nsec). */
  sec: number[];
  nsec: number[];
}

const DAY = 86400;

/**
 * Turn the time columns of one trace into capture times. A column that never decreases is a point
 * in time (or time since the first packet); one that does is a delta from the previous line
 * (tshark -t d/dd, tcpdump -ttt). A time of day that jumps back by more than 12 hours crossed
 * midnight. Entries without a time (or a trace without times) are spaced 1 µs apart, in order.
 */
export function resolveTimes(times: readonly (TextTime | null)[]): ResolvedTimes {
  const present = times.filter((t): t is TextTime => t !== null);
  const sec: number[] = [];
  const nsec: number[] = [];
  if (present.length === 0) {
    times.forEach((_t, i) => {
      sec.push(Math.floor(i / 1e6));
      nsec.push((i % 1e6) * 1000);
    });
    return { mode: 'none', shape: null, sec, nsec };
  }
  const shape = present[0]!.shape;
  const val = (t: TextTime): number => t.sec * 1e9 + t.nsec;
  let monotonic = true;
  for (let i = 1; i < present.length; i++) {
    const d = val(present[i]!) - val(present[i - 1]!);
    if (d < 0 && !(shape === 'clock' && d < -DAY * 1e9 / 2)) {
      monotonic = false;
      break;
    }
  }
  const first = present[0]!;
  const startsAtZero = first.sec === 0 && first.nsec === 0;
  let mode: TimeMode;
  if (shape === 'date' || (shape === 'seconds' && first.sec > 1e8) || (shape === 'clock' && !startsAtZero)) mode = 'absolute';
  else mode = monotonic ? 'since-first' : 'delta';
  let s = 0;
  let ns = 0;
  let dayShift = 0;
  let prev: TextTime | null = null;
  for (const t of times) {
    if (t !== null) {
      if (mode === 'delta') {
        s += t.sec;
        ns += t.nsec;
      } else {
        if (prev && shape === 'clock' && val(t) - val(prev) < -DAY * 1e9 / 2) dayShift += DAY;
        s = t.sec + dayShift;
        ns = t.nsec;
      }
      if (ns >= 1e9) {
        s += Math.floor(ns / 1e9);
        ns %= 1e9;
      }
      prev = t;
    } else {
      ns += 1000; // a line without a time right after the previous one
      if (ns >= 1e9) {
        s += 1;
        ns -= 1e9;
      }
    }
    sec.push(s);
    nsec.push(ns);
  }
  // Capture times before the epoch (negative deltas summed below zero): move the whole trace up.
  let low = 0;
  for (const x of sec) if (x < low) low = x;
  if (low < 0) for (let i = 0; i < sec.length; i++) sec[i] = sec[i]! - low;
  return { mode, shape, sec, nsec };
}
