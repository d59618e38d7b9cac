"""The paper notebooks keep their outputs (sample grids, curves, tables, figures), so a reader sees them in any
notebook viewer without running anything. This tool executes those notebooks exactly as `nbdev_test` would (the
same skipped cells: `#| eval: false`, the `slow` and `cuda` flags) and either writes the outputs into them or checks
that the committed outputs are still what the code produces.

    python tools/kept_outputs.py --write [NB ...]    # execute, store the outputs, nbdev_clean   (`make outputs`)
    python tools/kept_outputs.py --check             # execute, compare with the committed outputs (`make test`)
    python tools/kept_outputs.py --skip-re           # the regex `nbdev_test` skips these notebooks with

Which notebooks keep outputs: `kept_outputs` in settings.ini. `make test` runs `--check` instead of `nbdev_test` for
them, so they are executed once.

"Current" means, cell by cell: the same kinds of output; text equal after masking what is not reproducible across
machines (absolute paths, memory addresses), integers equal, decimals within `RTOL`·|x| + `ATOL_DIGIT` units of their
last printed digit; images the same size and within `PIXEL_TOL` grey levels on average. Durations printed with a
unit (`3.5 s`, `12 min`) are masked; cells tagged `volatile` only need the same kinds of output: a table of timings,
and the few cells that train a model for some steps and show its losses or samples. Those numbers depend on the CPU's
vector instructions: the same commit, seed and thread count gave G losses of 4.45 and 4.59 at step 15 of `30_galip`'s
20-step run on an AVX2 and on an AVX-512 machine (2026-11-30), since the kernels sum floats in a different order and
GAN training amplifies the difference. Their asserts still run. stderr (warnings, progress bars) is not kept.
Each notebook file must stay under `MAX_BYTES`.
"""
import argparse, base64, configparser, io, json, math, os, re, subprocess, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RTOL, ATOL_DIGIT, PIXEL_TOL, MAX_BYTES = 0.02, 2, 1.5, 1_500_000
NUM = re.compile(r'(?<![A-Za-z0-9_.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![A-Za-z0-9_])')   # not inside a word or a hash


def _setting(key: str) -> list:
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    return cfg['DEFAULT'].get(key, '').split()


def kept() -> list: return _setting('kept_outputs')


def skip_re() -> str:
    return r'^([_.]|(' + '|'.join(map(re.escape, kept())) + r')\.ipynb$)'


def execute(path: str) -> dict:
    "Run one notebook as nbdev_test does (same skips, working directory nbs/); its code cells' outputs, in order."
    os.environ['IN_TEST'] = '1'
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.process import NBProcessor
    path = Path(path)
    flags = set(_setting('tst_flags'))
    nb = NBProcessor(path, process=False).nb

    def skip(cell):
        if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
        d = getattr(cell, 'directives_', {}) or {}
        return d.get('eval:', [''])[0].lower() == 'false' or bool(flags & d.keys())
    start, shell = time.time(), CaptureShell(path, mpl_format='png')
    try:
        with working_directory(path.parent): shell.run_all(nb, exc_stop=True, preproc=skip)
    except BaseException:
        return dict(path=str(path), error=shell.prettytb(fname=path), seconds=time.time() - start)
    outs = [json.loads(json.dumps(c.get('outputs', []), default=dict)) for c in nb.cells]
    return dict(path=str(path), outputs=outs, seconds=time.time() - start)


def keep(outputs: list) -> list:
    "What a notebook keeps of a cell's outputs: no stderr, no execution counts, no per-output metadata."
    res = []
    for o in outputs:
        if o.get('output_type') == 'stream' and o.get('name') == 'stderr': continue
        o = {k: v for k, v in o.items() if k not in ('execution_count', 'metadata')}
        if o['output_type'] in ('display_data', 'execute_result'): o['metadata'] = {}
        if o['output_type'] == 'execute_result': o['execution_count'] = None
        res.append(o)
    return res


def _text(o) -> str:
    t = o.get('text') if o['output_type'] == 'stream' else o.get('data', {}).get('text/plain', '')
    t = ''.join(t) if isinstance(t, list) else (t or '')
    t = t.replace(str(ROOT), '<root>')
    t = re.sub(r'/tmp/[^\s\'",)]+', '<tmp>', t)
    t = re.sub(r'\b\d+(?:\.\d+)? ?(?:s|ms|min|s/step|steps?/s|it/s)\b', '<duration>', t)   # wall-clock, not results
    return re.sub(r'0x[0-9a-f]{6,}', '0x…', t)


def _close(a: str, b: str) -> bool:
    if ('.' in a or 'e' in a.lower()) != ('.' in b or 'e' in b.lower()): return False
    if '.' not in a and 'e' not in a.lower(): return a == b
    x, y = float(a), float(b)
    if not (math.isfinite(x) and math.isfinite(y)): return a == b
    digit = 10 ** -len(a.split('.')[1].split('e')[0].split('E')[0]) if '.' in a else 0
    return abs(x - y) <= RTOL * max(abs(x), abs(y)) + ATOL_DIGIT * digit


def same_text(a: str, b: str) -> bool:
    if NUM.sub('#', a) != NUM.sub('#', b): return False
    return all(_close(x, y) for x, y in zip(NUM.findall(a), NUM.findall(b)))


def _png(o):
    import numpy as np
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(o['data']['image/png']))).convert('RGB'), dtype=float)


def compare(old: list, new: list, volatile: bool) -> list:
    "Why a cell's committed outputs `old` are not current with the fresh `new` ([] when they are)."
    kinds = lambda outs: [(o['output_type'], 'image/png' in o.get('data', {})) for o in outs]
    if kinds(old) != kinds(new): return [f'outputs {kinds(old)} vs freshly {kinds(new)}']
    if volatile: return []
    why = []
    for o, n in zip(old, new):
        if 'image/png' in o.get('data', {}):
            a, b = _png(o), _png(n)
            if a.shape != b.shape: why.append(f'image {a.shape} vs freshly {b.shape}')
            elif abs(a - b).mean() > PIXEL_TOL: why.append(f'image differs by {abs(a - b).mean():.2f} grey levels on average')
        elif not same_text(_text(o), _text(n)):
            a, b = _text(o), _text(n)
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            why.append(f'text, from character {at}:\n      committed: {a[max(0, at - 60):at + 140]!r}\n      now:       {b[max(0, at - 60):at + 140]!r}')
    return why


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--write', action='store_true'); g.add_argument('--check', action='store_true')
    g.add_argument('--skip-re', action='store_true')
    ap.add_argument('notebooks', nargs='*', help='names in nbs/ (default: kept_outputs in settings.ini)')
    ap.add_argument('--workers', type=int, default=2)
    a = ap.parse_args(argv)
    if a.skip_re: print(skip_re()); return 0
    # outputs are made and checked at one thread (float reductions, and so GAN runs, depend on the thread count)
    os.environ.update(T2I_THREADS='1', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONHASHSEED='0')
    names = [Path(n).stem for n in a.notebooks] or kept()
    paths = [ROOT/'nbs'/f'{n}.ipynb' for n in names]
    sys.path.insert(0, str(ROOT/'tools'))
    import kept_outputs as this          # workers find `execute` by module name, not through __main__
    with ProcessPoolExecutor(a.workers, mp_context=get_context('spawn')) as ex:
        results = list(ex.map(this.execute, map(str, paths)))
    problems = []
    for p, r in zip(paths, results):
        rel = p.relative_to(ROOT)
        print(f'{r["seconds"]:7.1f} s  {rel}', flush=True)
        if 'error' in r: problems.append(f'{rel} failed:\n{r["error"]}'); continue
        nb = json.loads(p.read_text(encoding='utf-8'))
        if len(nb['cells']) != len(r['outputs']): problems.append(f'{rel}: cell count changed while running'); continue
        if a.write:
            for c, outs in zip(nb['cells'], r['outputs']):
                if c['cell_type'] == 'code': c['outputs'], c['execution_count'] = keep(outs), None
            p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
            subprocess.run(['nbdev_clean', '--fname', str(p)], cwd=ROOT, check=True)
        else:
            for i, (c, outs) in enumerate(zip(nb['cells'], r['outputs'])):
                if c['cell_type'] != 'code': continue
                why = compare(c.get('outputs', []), keep(outs), 'volatile' in c['metadata'].get('tags', []))
                if why: problems.append(f'{rel}, cell {i} ({c["source"][0].strip()[:60] if c["source"] else ""}): '
                                        + '; '.join(why))
        size = p.stat().st_size
        if size > MAX_BYTES: problems.append(f'{rel} is {size / 1e6:.2f} MB with its outputs, over {MAX_BYTES / 1e6} MB: '
                                             'show smaller images (fewer, or at a lower dpi).')
    if problems:
        print('\n\n'.join(problems))
        if a.check: print('\nThe committed outputs are not current. If the change is intended, run `make outputs` '
                          '(python tools/kept_outputs.py --write NB ...) and commit the notebooks.')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
