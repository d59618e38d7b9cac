"""Metrics checked against independent computations, and the evaluation job end to end."""
import json

import numpy as np
import pytest
import torch

from t2i_nb.data.shapes_io import load_split, make_shapes
from t2i_nb.eval.metrics import (check_comparable, corrupt, extract_features, fidelity, inception_weights, load_samples,
                                  save_samples)
from t2i_nb.measures import frechet_distance, gaussian_stats
from t2i_nb.core import MissingFileError, T2IError
from conftest import run_cli
from test_jobs import papermill


@pytest.fixture(scope='module')
def real(tmp_path_factory):
    root = make_shapes(tmp_path_factory.mktemp('m')/'shapes', 1000, seed=4)
    return root, load_split(root, 'train', limit=300)['images'], load_split(root, 'test', limit=150)['images']


def test_fid_matches_independent_frechet(real):
    _, train, test = real
    r = fidelity(test, train, kid=False, isc=False, reference_name='train[:300]')
    ours = frechet_distance(*gaussian_stats(extract_features(test)), *gaussian_stats(extract_features(train)))
    assert abs(r['fid'] - ours) / ours <= 1e-3
    assert r['extractor'] == 'shapes-oracle' and len(r['extractor_weights']) == 16


def test_fid_of_a_set_with_itself_is_zero(real):
    _, train, _ = real
    assert abs(fidelity(train, train, kid=False, isc=False)['fid']) < 1e-6


@pytest.mark.parametrize('kind,levels', [('blur', [0, 1, 2.5]), ('noise', [0, 0.1, 0.3])])
def test_fid_grows_with_corruption(real, kind, levels):
    _, train, test = real
    ref = gaussian_stats(extract_features(train))
    fids = [frechet_distance(*gaussian_stats(extract_features(corrupt(test, kind, l))), *ref) for l in levels]
    assert fids == sorted(fids) and fids[-1] > 2 * fids[0], fids


def test_results_from_different_extractors_are_not_compared():
    a = dict(extractor='shapes-oracle', extractor_weights='x', reference='r', fid=1.0)
    b = dict(extractor='inception-v3-compat', extractor_weights='y', reference='r', fid=30.0)
    check_comparable(a, dict(a))
    with pytest.raises(T2IError, match='different feature extractors'):
        check_comparable(a, b)


def test_missing_inception_weights_say_where(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path/'hub'))
    with pytest.raises(MissingFileError, match='weights-inception-2015-12-05-6726825d.pth') as e:
        inception_weights()
    assert str(tmp_path/'hub'/'checkpoints') in str(e.value)


def test_samples_round_trip_and_bad_index(tmp_path, real):
    _, _, test = real
    save_samples(tmp_path/'s', test[:5], [f'caption {i}' for i in range(5)], [f'k{i}' for i in range(5)], list(range(5)))
    s = load_samples(tmp_path/'s')
    assert torch.equal(s['images'], test[:5]) and s['captions'][3] == 'caption 3' and s['caption_idx'][4] == 4
    (tmp_path/'s'/'captions.jsonl').write_text('{"file": "images/000000.png", "caption": "x"}\nnot json\n')
    with pytest.raises(T2IError, match=r'captions.jsonl:2: not a JSON line'):
        load_samples(tmp_path/'s')


def test_eval_cli_and_job(tmp_path, real):
    root, _, _ = real
    t = load_split(root, 'test', limit=120)
    ci = [i % 10 for i in range(120)]
    save_samples(tmp_path/'samples', t['images'], [c[i] for c, i in zip(t['captions'], ci)], t['keys'], ci)
    r = run_cli('eval', '--samples', tmp_path/'samples', '--data', root, '--out', tmp_path/'cli', '--split', 'train', '--n-ref', 300)
    m = json.loads((tmp_path/'cli'/'metrics.json').read_text())
    for k in ('fid', 'kid_mean', 'is_mean', 'clip_score', 'r_precision', 'ms_ssim', 'semantic_all_correct'):
        assert isinstance(m[k], float), k
    assert m['semantic_all_correct'] >= 0.95 and m['r_precision'] > 0.3 and m['extractor'] == 'shapes-oracle'
    papermill('evaluate.ipynb', tmp_path/'executed.ipynb', ('samples_dir', tmp_path/'samples'), ('data_dir', root),
              ('out_dir', tmp_path/'job'), ('ref_split', 'train'), ('n_ref', 300), ('metrics', 'fid,clip_score,semantic'))
    j = json.loads((tmp_path/'job'/'metrics.json').read_text())
    assert abs(j['fid'] - m['fid']) < 1e-6 and (tmp_path/'job'/'semantic_accuracy.png').exists()
