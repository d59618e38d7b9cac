"""The job notebooks' parameters, as papermill reads them (`papermill --help-notebook`): every parameter of the
`parameters` cell listed in order with its type, its default and its help comment, and no parse warning. A comment
holding '=' used to make papermill skip its line ("Unable to parse line", then "Passed unknown parameter")."""
import ast, subprocess, sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAPERMILL = Path(sys.executable).parent/'papermill'
JOBS = ['train.ipynb', 'evaluate.ipynb', 'dataset_card.ipynb']


def cell_parameters(nb):
    "(name, type, default source, help comment) for each line of the notebook's `parameters` cell."
    cells = [c for c in nbformat.read(ROOT/'nbs'/'jobs'/nb, as_version=4).cells if 'parameters' in c.metadata.get('tags', [])]
    assert len(cells) == 1, f'{nb}: {len(cells)} parameters cells'
    src, out = cells[0].source, []
    lines = src.splitlines()
    for node in ast.parse(src).body:
        assert isinstance(node, ast.AnnAssign), f'{nb}: {ast.unparse(node)!r} has no type annotation'
        line = lines[node.lineno - 1]
        out.append((node.target.id, ast.unparse(node.annotation), ast.get_source_segment(src, node.value),
                    line.split('#', 1)[1].strip() if '#' in line[node.value.end_col_offset:] else ''))
    return out


@pytest.fixture(scope='module')
def helps():
    "`papermill --help-notebook` of every job, the three run side by side (about 4 s each)."
    procs = {nb: subprocess.Popen([str(PAPERMILL), '--help-notebook', str(ROOT/'nbs'/'jobs'/nb)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for nb in JOBS}
    out = {}
    for nb, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        out[nb] = subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)
    return out


@pytest.mark.parametrize('nb', JOBS)
def test_papermill_lists_every_parameter(nb, helps):
    params = cell_parameters(nb)
    assert params, nb
    r = helps[nb]
    assert r.returncode == 0, r.stderr
    assert 'Unable to parse' not in r.stdout + r.stderr and 'Unknown type' not in r.stdout, r.stdout + r.stderr
    listed = [l.split(':')[0].strip() for l in r.stdout.splitlines() if l.startswith('  ') and not l.startswith('   ') and ': ' in l]
    assert listed == [p[0] for p in params], (listed, r.stdout)
    flat = ' '.join(r.stdout.split())                       # click wraps long help lines
    for name, typ, default, help_ in params:
        assert f'  {name}: {typ} (default {default})' in r.stdout, (name, r.stdout)
        assert ' '.join(help_.split()) in flat, (name, help_)
