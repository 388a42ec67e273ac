// Bounded plot series: the plots keep every point up to a limit, then halve a series by
// averaging neighbours, so a long run keeps its curve at a bounded cost.

/**
 * Points kept per series: past this a series is halved by averaging neighbours, so an hour's
 * run keeps its shape at a bounded cost in memory, autosave and drawing (RELIABILITY.md's soak).
 */
export const MAX_POINTS = 2000;
/** The figures that are averaged when two points merge; others (k, digits) come from the later. */
const AVERAGED = ['epoch', 'negativeElbo', 'reconstruction', 'kl', 'negativeIwBound', 'gap'];

/** Every two neighbouring points as their average (an odd last point kept as it is). */
export function halve(points) {
  const out = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    const [a, b] = [points[i], points[i + 1]];
    const merged = { ...b };
    for (const key of AVERAGED) if (key in a) merged[key] = (a[key] + b[key]) / 2;
    out.push(merged);
  }
  if (points.length % 2) out.push(points.at(-1));
  return out;
}

