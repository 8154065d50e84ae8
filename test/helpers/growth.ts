/**
 * A growth check for parsers of attacker input (docs/architecture.md §8: linear by construction).
 *
 * `growth` times a parser on an input of size n, run `factor` times in one batch, against one run
 * on an input of size factor·n: the same amount of work for a linear parser, so the ratio is about
 * 1; a quadratic parser gives `factor` (8), n log n about 1.2. Each side is timed `reps` times,
 * interleaved, and the minimum taken: noise on a loaded machine only ever adds time, so the
 * minimum is the best estimate. `expectLinear` fails above MAX_RATIO (4: linear parsers measure
 * 1–2, up to 3 when a large input's garbage outlives a young-generation collection; quadratic 8)
 * and only when every one of `attempts` measurements is above it, so a burst of load on a shared
 * machine does not fail a linear parser while a quadratic one fails every time. Inputs are built
 * before timing starts.
 */
import { performance } from 'node:perf_hooks';

export interface Growth {
  /** ms for `factor` runs on the size-n input (minimum over reps) */
  small: number;
  /** ms for one run on the size factor·n input (minimum over reps) */
  large: number;
  /** large / small: ~1 linear, ~factor quadratic */
  ratio: number;
}

export interface GrowthOptions {
  /** size multiplier, default 8 */
  factor?: number;
  /** timed repetitions of each side, default 5 */
  reps?: number;
  /** whole measurements before expectLinear gives up, default 3 */
  attempts?: number;
}

/** Above this, growth is super-linear: quadratic at factor 8 gives 8, linear 1. */
export const MAX_RATIO = 4;

export function growth<T>(make: (n: number) => T, run: (input: T) => unknown, n: number, opts: GrowthOptions = {}): Growth {
  const factor = opts.factor ?? 8;
  const reps = opts.reps ?? 5;
  const small = make(n);
  const large = make(n * factor);
  run(small); // warm up the JIT on both shapes
  run(large);
  let tSmall = Infinity;
  let tLarge = Infinity;
  for (let r = 0; r < reps; r++) {
    let t = performance.now();
    for (let k = 0; k < factor; k++) run(small);
    tSmall = Math.min(tSmall, performance.now() - t);
    t = performance.now();
    run(large);
    tLarge = Math.min(tLarge, performance.now() - t);
  }
  // a floor against a timer tick of 0 on a trivially fast small side
  const ratio = tLarge / Math.max(tSmall, 0.05);
  return { small: tSmall, large: tLarge, ratio };
}

/** Throws (failing the test) if `run` grows super-linearly from size n to 8n. */
export function expectLinear<T>(what: string, make: (n: number) => T, run: (input: T) => unknown, n: number, opts: GrowthOptions = {}): Growth {
  const factor = opts.factor ?? 8;
  let g = growth(make, run, n, opts);
  for (let i = 1; i < (opts.attempts ?? 3) && g.ratio > MAX_RATIO; i++) {
    const again = growth(make, run, n, opts);
    if (again.ratio < g.ratio) g = again;
  }
  if (g.ratio > MAX_RATIO) {
    throw new Error(
      `${what} grows super-linearly: ${factor} × size ${n} took ${g.small.toFixed(2)} ms, ` +
        `1 × size ${n * factor} took ${g.large.toFixed(2)} ms (ratio ${g.ratio.toFixed(1)}, limit ${MAX_RATIO})`,
    );
  }
  return g;
}
