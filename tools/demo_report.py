"""Print what `make demo` measured against the targets it is meant to reach (issue: models that learn shapes).

    python tools/demo_report.py runs/demo/galip-shapes1

reads the run's metrics.json (the oracle's semantic accuracy on the test captions) and accuracy.jsonl (the learning
curve), prints one line per attribute with the chance and real-image levels, and exits 0 (it reports; it does not fail).
"""
import json, math, sys
from pathlib import Path

TARGETS = {'colour': 0.95, 'size': 0.90, 'shape': 0.80, 'all_correct': 0.70}


def main(run_dir):
    run = Path(run_dir)
    m = json.loads((run/'metrics.json').read_text())
    ref = m.get('semantic_reference', {})
    print(f"\n{m.get('preset')}: step {m.get('step')}, {m.get('n_samples')} test captions judged by the shapes oracle")
    print(f"{'attribute':12s} {'generated':>9s} {'target':>7s} {'chance':>7s} {'real':>6s}")
    for k in ('shape', 'colour', 'size', 'count', 'background', 'all_correct'):
        v = m.get(f'semantic_{k}')
        if v is None or (isinstance(v, float) and math.isnan(v)): continue
        t = TARGETS.get(k)
        c, r = ref.get('chance', {}).get(k), ref.get('real', {}).get(k)
        fmt = lambda x: '' if x is None else f'{100 * x:.1f}%'
        mark = '' if t is None else ('  met' if v >= t else '  NOT met')
        print(f'{k:12s} {100 * v:8.1f}% {fmt(t):>7s} {fmt(c):>7s} {fmt(r):>6s}{mark}')
    print(f"oracle FID {m.get('fid', float('nan')):.1f}; files: {run/'samples'}, {run/'accuracy.png'}, {run/'metrics.json'}")


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'runs/demo/galip-shapes1')
