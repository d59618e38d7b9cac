"""The gate `make test` runs before any test: the notebooks are the source, so

1. `nbdev_export` must leave the library unchanged (t2i_nb/ is exactly what nbs/ exports);
2. `nbdev_clean` must leave the notebooks unchanged (no execution counts or noisy metadata);
3. README.md must be what nbs/index.ipynb renders to;
4. every notebook runs on the `t2i_nb` kernel, and every job notebook keeps its papermill `parameters` cell.

It runs the two nbdev commands in place, so after a failure the fixed files are there to review and commit.
"""
import hashlib, json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
from render_readme import main as readme_main  # noqa: E402

KERNEL = 't2i_nb'


def snapshot(*globs):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for g in globs for p in sorted(ROOT.glob(g)) if p.is_file() and '.ipynb_checkpoints' not in p.parts}


def changed(before, after):
    return sorted(str(p.relative_to(ROOT)) for p in set(before) | set(after) if before.get(p) != after.get(p))


def run(cmd):
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode:
        print(r.stdout, r.stderr, sep='\n')
        raise SystemExit(f'`{" ".join(cmd)}` failed (exit {r.returncode})')


def main():
    problems = []
    lib = ('t2i_nb/**/*.py',)
    before = snapshot(*lib); run(['nbdev_export']); diff = changed(before, snapshot(*lib))
    if diff:
        problems.append('nbdev_export changed the library, so it did not match the notebooks:\n  ' + '\n  '.join(diff)
                        + '\n  Edit nbs/*.ipynb (never t2i_nb/*.py), run nbdev_export, and commit both.')
    nbs = ('nbs/**/*.ipynb',)
    before = snapshot(*nbs); run(['nbdev_clean']); diff = changed(before, snapshot(*nbs))
    if diff:
        problems.append('nbdev_clean changed these notebooks (they carried noisy metadata):\n  ' + '\n  '.join(diff)
                        + '\n  They are clean now: review and commit them.')
    if readme_main(['--check']):
        problems.append('README.md is stale: run `make readme`.')
    for p in sorted(ROOT.glob('nbs/**/*.ipynb')):
        if '.ipynb_checkpoints' in p.parts: continue
        nb = json.loads(p.read_text(encoding='utf-8'))
        name = nb.get('metadata', {}).get('kernelspec', {}).get('name')
        if name != KERNEL:
            problems.append(f'{p.relative_to(ROOT)} names kernel {name!r}; set it to {KERNEL!r} '
                            '(papermill and JupyterLab pick the environment by that name).')
        if 'jobs' in p.parts and not any('parameters' in c.get('metadata', {}).get('tags', []) for c in nb['cells']):
            problems.append(f'{p.relative_to(ROOT)} is a job notebook without a cell tagged `parameters`.')
    if problems:
        print('\n\n'.join(problems)); return 1
    print('check-sync: library matches the notebooks, notebooks are clean, README is current, kernels named t2i_nb.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
