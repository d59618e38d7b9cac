"""`t2i sample` as a user runs it: the committed shapes model, a stand-in official GALIP checkpoint with a stand-in
ViT-B/32 (seeded random weights in the released files' formats; nothing is downloaded), and inputs it refuses.
Measured on one thread of a busy 2-core machine: the shapes test about 20 s (a `t2i` start-up is most of it), the
official one about 65 s (the two stand-in files, 300 MB + 500 MB, about 20 s; the command, ViT-B/32 + GALIP on 2
images, about 45 s), the refusals about 15 s."""
import json, shutil
from types import SimpleNamespace

import pytest
import torch

from conftest import ROOT, run_cli
from t2i_nb.core import DataError, T2IError
from t2i_nb.eval.metrics import load_samples
from t2i_nb.data.fixtures import stand_in_clip
from t2i_nb.sample import check_official_clip, sample, stand_in_official_galip

DEMO = ROOT/'assets'/'hdgan_shapes1.pt'


def test_sample_the_shapes_demo_model(tmp_path):
    caps = tmp_path/'caps.txt'
    caps.write_text('a large red circle\n\n')
    r = run_cli('sample', '--checkpoint', DEMO, '--captions', caps, '--text', 'a small blue square', '--n', 2,
                '--out', tmp_path/'s', '--device', 'cpu', '--seed', 3)
    assert '4 images (2 for each of 2 captions)' in r.stdout
    s = load_samples(tmp_path/'s')
    assert tuple(s['images'].shape) == (4, 3, 64, 64)
    assert s['captions'] == ['a large red circle'] * 2 + ['a small blue square'] * 2
    info = json.loads((tmp_path/'s'/'sample.json').read_text())
    assert (info['model'], info['seed'], info['n_per_caption']) == ('hdgan', 3, 2)
    assert (tmp_path/'s'/'grid.png').stat().st_size > 1000


@pytest.fixture(scope='module')
def official(tmp_path_factory):
    d = tmp_path_factory.mktemp('official')
    clip = stand_in_clip(d/'ViT-B-32-stand-in.pt', seed=0)
    yield clip, stand_in_official_galip(d/'state_epoch_000.pth', clip, seed=0)
    shutil.rmtree(d, ignore_errors=True)                      # 800 MB: not kept until the session ends


def test_sample_a_stand_in_official_galip_checkpoint(tmp_path, official):
    clip, ck = official
    r = run_cli('sample', '--official-galip', ck, '--clip-weights', clip, '--text', 'a small yellow bird',
                '--text', 'a red bird with black wings', '--n', 1, '--out', tmp_path/'o', '--device', 'cpu')
    s = load_samples(tmp_path/'o')
    assert tuple(s['images'].shape) == (2, 3, 224, 224)              # GALIP's generator outputs CLIP's input size
    info = json.loads((tmp_path/'o'/'sample.json').read_text())
    assert info['source'] == 'official GALIP' and info['clip_check'].startswith('matched: 149 visual tensors')
    assert len(info['dropped']) == 4 and (tmp_path/'o'/'grid.png').exists()


def test_a_clip_that_does_not_match_is_refused(official):
    clip, ck = official
    state = torch.load(ck, map_location='cpu', weights_only=True)
    visual = {k.removeprefix('visual.'): v for k, v in torch.load(clip, map_location='cpu', weights_only=True).items()
              if k.startswith('visual.')}
    assert check_official_clip(state, SimpleNamespace(state_dict=lambda: visual))['clip_check'].startswith('matched')
    other = {**visual, 'conv1.weight': visual['conv1.weight'] + 0.1}          # another CLIP (e.g. not OpenAI's weights)
    with pytest.raises(DataError, match='does not match the CLIP this GALIP checkpoint was trained with'):
        check_official_clip(state, SimpleNamespace(state_dict=lambda: other))


def test_bad_inputs_say_what_to_do(tmp_path):
    empty = tmp_path/'empty.txt'; empty.write_text('\n \n')
    r = run_cli('sample', '--checkpoint', DEMO, '--captions', empty, '--out', tmp_path/'a', check=False)
    assert r.returncode == 2 and 'holds no captions: write one caption per line' in r.stderr and 'Traceback' not in r.stderr
    with pytest.raises(T2IError, match='run folder not found') as e:                    # the rest in-process (no start-up)
        sample(tmp_path/'b', texts=['a red cross'], run=tmp_path/'no_run')
    assert '--checkpoint' in str(e.value)
    with pytest.raises(DataError, match='is not an official GALIP checkpoint') as e:
        sample(tmp_path/'c', texts=['a bird'], official_galip=DEMO)
    assert '--checkpoint FILE' in str(e.value)
    r = run_cli('sample', '--text', 'a bird', '--out', tmp_path/'d', check=False)
    assert r.returncode == 2 and 'one of the arguments --run --checkpoint --official-galip is required' in r.stderr
