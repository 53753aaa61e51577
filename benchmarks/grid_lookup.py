"""Point → grid lookup: how many points per second one core assigns to their grid.

Builds a city's worth of grids (a 100 × 100 lattice of slightly irregular quadrilaterals sharing their edges,
about 1 km each), indexes them with the same `GridIndex` class the application uses (areas.spatial, shapely 2
STRtree), then times random points:
  * vectorised: `GridIndex.lookup_many` over arrays (what imports, sensor batches and camera detections use);
  * single: `GridIndex.lookup` one point at a time (what one request does).
Results are checked against a brute-force point-in-polygon test on a sample. As the ceiling of any
geometry-based lookup on this machine, the run also times making the shapely points alone.

No database: pure shapely/numpy, pinned to one CPU core.

    python benchmarks/grid_lookup.py [--quick] [--side 100] [--points N]

Ends with one JSON line: points_per_s (vectorised), single_points_per_s, ceiling_points_only_per_s, …
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import shapely

from zhizhi.areas.spatial import GridIndex

WEST, SOUTH, CELL = 120.0, 30.0, 0.01  # degrees; 0.01° ≈ 1 km around Hangzhou


def pin_to_one_core() -> str:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"cpu {core}"
    return "not pinned"


def lattice(side: int, rng: np.random.Generator) -> list[tuple[str, shapely.Polygon]]:
    """side × side quadrilaterals; corners are jittered and shared, so the grids tile without gaps."""
    xs = WEST + np.arange(side + 1) * CELL
    ys = SOUTH + np.arange(side + 1) * CELL
    x, y = np.meshgrid(xs, ys)
    x = x + rng.uniform(-0.3, 0.3, x.shape) * CELL
    y = y + rng.uniform(-0.3, 0.3, y.shape) * CELL
    grids = []
    for j in range(side):
        for i in range(side):
            ring = [(x[j, i], y[j, i]), (x[j, i + 1], y[j, i + 1]), (x[j + 1, i + 1], y[j + 1, i + 1]),
                    (x[j + 1, i], y[j + 1, i])]  # fmt: skip
            grids.append((f"330105013{j * side + i:05d}", shapely.Polygon(ring)))  # 14-digit grid codes
    return grids


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer points; finishes within a minute")
    parser.add_argument("--side", type=int, default=100, help="lattice side (grids = side²), default 100")
    parser.add_argument("--points", type=int, default=0, help="points for the vectorised run")
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()
    n_vector = args.points or (200_000 if args.quick else 2_000_000)
    n_single = 20_000 if args.quick else 200_000
    runs = 2 if args.quick else 3
    pinned = pin_to_one_core()
    rng = np.random.default_rng(args.seed)

    print(f"Building {args.side}×{args.side} = {args.side**2:,} irregular quadrilateral grids …")
    grids = lattice(args.side, rng)
    start = time.perf_counter()
    index = GridIndex(grids)
    build_s = time.perf_counter() - start
    print(f"  indexed in {build_s * 1000:.1f} ms (STRtree, prepared geometries); {pinned}")

    span = args.side * CELL
    lats = rng.uniform(SOUTH - 0.02 * span, SOUTH + 1.02 * span, n_vector)  # a few points fall outside
    lons = rng.uniform(WEST - 0.02 * span, WEST + 1.02 * span, n_vector)

    print(f"Vectorised lookup of {n_vector:,} random points (best of {runs}) …")
    result: dict = {}
    vector_s = best_of(runs, lambda: result.__setitem__("ids", index.lookup_many(lats, lons)))
    ids = result["ids"]
    hit_rate = float((ids >= 0).mean())
    print(f"  {vector_s:.3f} s → {n_vector / vector_s:,.0f} points/s; {hit_rate:.1%} inside a grid")

    print(f"Single-point lookup of {n_single:,} points, one call each …")
    sample_lats, sample_lons = lats[:n_single].tolist(), lons[:n_single].tolist()
    single: list[int] = []
    single_s = best_of(
        1, lambda: single.extend(index.lookup(a, o) for a, o in zip(sample_lats, sample_lons, strict=True))
    )
    print(f"  {single_s:.3f} s → {n_single / single_s:,.0f} points/s")

    print("Ceiling: making the shapely points alone (no lookup) …")
    ceiling_s = best_of(runs, lambda: shapely.points(lons, lats))
    print(f"  {n_vector / ceiling_s:,.0f} points/s; the lookup runs at {ceiling_s / vector_s:.0%} of it")

    check = 2_000
    geoms = index.geometries
    brute = []
    for a, o in zip(sample_lats[:check], sample_lons[:check], strict=True):
        inside = np.flatnonzero(shapely.intersects_xy(geoms, o, a))
        brute.append(int(inside.min()) if inside.size else -1)
    agree = single == ids[:n_single].tolist() and brute == single[:check]
    print(f"Vectorised, single and brute-force answers agree: {agree}")

    figures = {
        "points_per_s": round(n_vector / vector_s),
        "single_points_per_s": round(n_single / single_s),
        "ceiling_points_only_per_s": round(n_vector / ceiling_s),
        "grids": len(index),
        "points": n_vector,
        "hit_rate": round(hit_rate, 4),
        "build_ms": round(build_s * 1000, 1),
        "agree": agree,
        "cores": 1,
        "quick": args.quick,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
