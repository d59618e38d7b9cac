"""Time `make_shapes` (images + 10 captions + CoNLL-U parses + ground truth per image) and print a table.

    python benchmarks/bench_shapes.py [--n 10000] [--sizes 64] [--workers 1 2] [--repeat 1]

The issue's target: 10,000 images at 64×64 in ≤ 30 s on this 2-core machine.
"""
import argparse, os, shutil, tempfile, time
from pathlib import Path

from t2i_nb.data.shapes_io import make_shapes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=10_000)
    ap.add_argument('--sizes', type=int, nargs='+', default=[64])
    ap.add_argument('--workers', type=int, nargs='+', default=[os.cpu_count() or 1])
    ap.add_argument('--repeat', type=int, default=1)
    a = ap.parse_args()
    print(f'| images | size | workers | seconds (best of {a.repeat}) | images/s | MB on disk |')
    print('|---:|---:|---:|---:|---:|---:|')
    for size in a.sizes:
        for w in a.workers:
            best, mb = float('inf'), 0.0
            for _ in range(a.repeat):
                d = Path(tempfile.mkdtemp())
                t = time.perf_counter(); make_shapes(d/'shapes', a.n, size=size, workers=w); dt = time.perf_counter() - t
                best = min(best, dt)
                mb = sum(p.stat().st_size for p in (d/'shapes').rglob('*') if p.is_file()) / 1e6
                shutil.rmtree(d)
            print(f'| {a.n:,} | {size} | {w} | {best:.1f} | {a.n/best:,.0f} | {mb:.1f} |')


if __name__ == '__main__':
    main()
