"""Job notebooks end to end through papermill, on the `t2i_nb` kernel, as a GPU server would run them."""
import json, subprocess, sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAPERMILL = Path(sys.executable).parent/'papermill'


def papermill(nb, out, *params, check=True):
    cmd = [str(PAPERMILL), str(ROOT/'nbs'/'jobs'/nb), str(out), '-k', 't2i_nb', '--cwd', str(ROOT), '--no-progress-bar']
    for k, v in params: cmd += ['-p', k, str(v)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode:
        raise AssertionError(f'papermill failed ({r.returncode}):\n{r.stderr[-3000:]}')
    return r


def test_kernel_is_registered():
    from jupyter_client.kernelspec import KernelSpecManager
    specs = KernelSpecManager().find_kernel_specs()
    assert 't2i_nb' in specs, 'run `make venv` (it registers the t2i_nb kernel inside .venv)'
    spec = json.loads((Path(specs['t2i_nb'])/'kernel.json').read_text())
    assert Path(spec['argv'][0]).resolve().parent == Path(sys.executable).resolve().parent  # this very environment


def test_dataset_card_job(tmp_path):
    out = tmp_path/'run'
    papermill('dataset_card.ipynb', tmp_path/'executed.ipynb', ('data_dir', out/'shapes'), ('out_dir', out),
              ('n_images', 120), ('seed', 3))
    for f in ('card.json', 'card.md', 'preview.png', 'attributes.png', 'caption_lengths.png'):
        assert (out/f).stat().st_size > 0, f
    card = json.loads((out/'card.json').read_text())
    assert card['images'] == 120 and card['seed'] == 3 and card['captions'] == 1200
    nb = nbformat.read(tmp_path/'executed.ipynb', as_version=4)
    assert nb.metadata.papermill.parameters['n_images'] == 120          # the run records its parameters
    assert any('injected-parameters' in c.metadata.get('tags', []) for c in nb.cells)


def test_job_refuses_a_folder_it_did_not_make(tmp_path):
    precious = tmp_path/'thesis'; precious.mkdir(); (precious/'chapter1.tex').write_text('years of work')
    r = papermill('dataset_card.ipynb', tmp_path/'failed.ipynb', ('data_dir', precious), ('out_dir', tmp_path/'o'),
                  ('n_images', 20), check=False)
    assert r.returncode != 0 and 'not empty' in r.stderr
    assert sorted(p.name for p in precious.iterdir()) == ['chapter1.tex']   # nothing written, nothing lost
    assert (tmp_path/'failed.ipynb').exists()                                # papermill keeps the failed notebook

# the parameters cells as papermill reads them: tests/test_job_params.py
