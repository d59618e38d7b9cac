"The check that committed notebook outputs are current (tools/kept_outputs.py): it passes on a fresh run and fails on a stale one."
import base64, io, json, subprocess, sys
from pathlib import Path

import nbformat
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import kept_outputs as K  # noqa: E402


def _png(value: int, size=(8, 6)) -> dict:
    buf = io.BytesIO(); Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(buf, 'PNG')
    return {'output_type': 'display_data', 'metadata': {}, 'data': {'image/png': base64.b64encode(buf.getvalue()).decode()}}


def _out(text): return [{'output_type': 'stream', 'name': 'stdout', 'text': [text]}]


def test_text_tolerance():
    assert K.same_text('loss 3.8012, step 20', 'loss 3.8109, step 20')          # within 2 % of the value
    assert not K.same_text('loss 3.80, step 20', 'loss 4.20, step 20')           # a real change
    assert not K.same_text('step 20', 'step 21')                                 # integers are exact
    assert K.same_text('acc 0.98', 'acc 0.97')                                   # two units of the last digit
    assert not K.same_text('acc 0.98', 'acc 0.90')
    assert not K.same_text('colour 0.98', 'shape 0.98')                          # words are exact
    assert K.same_text('shapes-26d6935e6979f41f.pickle', 'shapes-26d6935e6979f41f.pickle')   # a hash is not a number
    assert not K.same_text('shapes-26d6935e6979f41f', 'shapes-26d6935e6979f41e')
    assert K.same_text(K._text(_out(f'{ROOT}/runs/x.pt at 0x7f3a2b1c9d00')[0]),
                       K._text(_out('<root>/runs/x.pt at 0x7f00000000aa')[0]))  # paths and addresses masked
    assert K._text(_out('200 steps in 143 s; R 0.21')[0]) == '200 steps in <duration>; R 0.21'   # durations masked


def test_compare_images_kinds_and_volatile():
    assert K.compare([_png(100)], [_png(101)], False) == []
    assert 'grey levels' in K.compare([_png(100)], [_png(120)], False)[0]
    assert 'image' in K.compare([_png(100)], [_png(100, (9, 6))], False)[0]
    assert 'outputs' in K.compare(_out('a'), [_png(1)], False)[0]               # a figure appeared instead of text
    assert K.compare(_out('speed 1.5'), _out('speed 9.1'), True) == []           # `volatile`: kinds only
    assert K.compare(_out('speed 1.5'), _out('speed 9.1'), False)


def test_execute_keeps_what_nbdev_test_runs(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('mean', 2.5)"),
                nbformat.v4.new_code_cell("import sys; print('noise', file=sys.stderr); 6 * 7"),
                nbformat.v4.new_code_cell("#| eval: false\nprint('never')"),
                nbformat.v4.new_code_cell("#| slow\nprint('only with --flags slow')")]
    p = tmp_path/'t.ipynb'; nbformat.write(nb, p)
    r = K.execute(str(p))
    outs = [K.keep(o) for o in r['outputs']]
    assert outs[0] == _out('mean 2.5\n')
    assert [o['output_type'] for o in outs[1]] == ['execute_result'] and outs[1][0]['data']['text/plain'] in ('42', ['42'])
    assert outs[2] == [] and outs[3] == []                                       # skipped as nbdev_test skips them
    stale = _out('mean 3.5\n')                                                   # what a stale commit would hold
    assert K.compare(stale, outs[0], False) and not K.compare(outs[0], outs[0], False)


def test_skip_re_and_settings():
    names = K.kept()
    assert {'20_hdgan', '30_galip', '31_ratlip'} <= set(names)
    out = subprocess.run([sys.executable, str(ROOT/'tools'/'kept_outputs.py'), '--skip-re'], capture_output=True, text=True).stdout.strip()
    import re
    assert re.search(out, '30_galip.ipynb') and re.search(out, '_private.ipynb') and not re.search(out, '30a_galip.official.ipynb')
    for n in names:                                                              # they do keep outputs, within budget
        p = ROOT/'nbs'/f'{n}.ipynb'
        assert p.stat().st_size <= K.MAX_BYTES, n
        assert any(c.get('outputs') for c in json.loads(p.read_text())['cells'] if c['cell_type'] == 'code'), f'{n} keeps no outputs'
