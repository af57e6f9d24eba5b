// The report's theory lines are anchored as the paper's Fig. 2 anchors them (SPEC 3.2-3.4): N ends at the
// largest N's loss / 0.9 with slope -alpha from N = 1e4; S starts at the loss at step 1000 with slope
// -alpha/(alpha+1) and is drawn at half the steps; D starts at the loss at D = 6e4.
import { describe, expect, it } from 'vitest';
import type { ExponentFit } from '../../src/scaling/analysis.js';
import { paperTheoryLine } from '../../src/report/scaling-figures.js';

function fitOf(points: [number, number][], predicted: number): ExponentFit {
  return {
    measured: null,
    ci: null,
    predicted,
    paper: null,
    slope: null,
    intercept: null,
    r2: null,
    window: null,
    points: points.map(([x, y]) => ({ x, y, seed: 0, used: true })),
  };
}

const slope = (l: { x: number; y: number }[]) => Math.log(l[1].y / l[0].y) / Math.log(l[1].x / l[0].x);

describe('theory lines anchored as the paper', () => {
  it('N: slope -alpha from 1e4, ending at the largest N loss / 0.9', () => {
    const l = paperTheoryLine(
      'N',
      fitOf(
        [
          [5429, 0.6],
          [30000, 0.4],
          [180902, 0.2],
        ],
        0.4,
      ),
      0.4,
    ) as {
      x: number;
      y: number;
    }[];
    expect(l.map((p) => p.x)).toEqual([1e4, 180902]);
    expect(l[1].y).toBeCloseTo(0.2 / 0.9, 12);
    expect(slope(l)).toBeCloseTo(-0.4, 12);
  });

  it('S: from the loss at step 1000, over 100x the steps, drawn at half the steps', () => {
    const pts: [number, number][] = [500, 1000, 2000, 50_000, 200_000].map((s) => [s, 1 / Math.sqrt(s)]);
    const l = paperTheoryLine('S', fitOf(pts, 0.4 / 1.4), 0.4) as { x: number; y: number }[];
    expect(l.map((p) => p.x)).toEqual([500, 50_000]);
    expect(l[0].y).toBeCloseTo(1 / Math.sqrt(1000), 12);
    expect(slope(l)).toBeCloseTo(-0.4 / 1.4, 12);
  });

  it('D: from the first D at or above 6e4; nothing when no D reaches it', () => {
    const pts: [number, number][] = [
      [1e4, 1],
      [59330, 0.9],
      [144520, 0.7],
      [4999999, 0.3],
    ];
    const l = paperTheoryLine('D', fitOf(pts, 0.4 / 1.4), 0.4) as { x: number; y: number }[];
    expect(l.map((p) => p.x)).toEqual([144520, 4999999]);
    expect(l[0].y).toBe(0.7);
    expect(
      paperTheoryLine(
        'D',
        fitOf(
          [
            [1e4, 1],
            [2e4, 0.9],
          ],
          0.3,
        ),
        0.4,
      ),
    ).toEqual([]);
  });
});
