"""The GPU-server path, end to end, offline: the papermill train job for the paper presets on the CUB fixture, evaluated
under their papers' protocols with stand-in weight files (seeded random values in the real files' formats).

What this proves: every line from `papermill nbs/jobs/train.ipynb -p preset galip-cub` to `metrics.json` runs, and the
record names torchvision's Inception and ViT-B/32 with the files' fingerprints, the protocol's sample-count formula,
and never the shapes oracle or mini-CLIP. What it cannot prove: the numbers (the weights are random)."""
import json, os, shutil, subprocess, sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from t2i_nb.eval.metrics import check_comparable, run_evaluation
from t2i_nb.core import MissingFileError, T2IError
from t2i_nb.data.fixtures import make_cub
from t2i_nb.data.readers import T2IDataset
from t2i_nb.data.fixtures import stand_in_clip, stand_in_inception
from t2i_nb.eval.protocols import PROTOCOLS, WEIGHT_FILES, fingerprint

BIN = Path(sys.executable).parent


@pytest.fixture(scope='module')
def standins(tmp_path_factory):
    d = tmp_path_factory.mktemp('weights')
    yield dict(inception=stand_in_inception(d/WEIGHT_FILES['torchvision-inception-v3']['file']),
               clip=stand_in_clip(d/'ViT-B-32-openai.pt'))
    shutil.rmtree(d, ignore_errors=True)                      # 400 MB: not kept until the session ends


def job(tmp_path, standins, preset, data, **params):
    """Run the train job as a GPU-server user would, with the weight files named by environment variables.
    One training step: the path (train, checkpoint, reload, evaluate) is the same after one step as after two, and each
    step of a paper-size model costs tens of CPU seconds here."""
    env = {**os.environ, 'T2I_INCEPTION_WEIGHTS': str(standins['inception']), 'T2I_CLIP_WEIGHTS': str(standins['clip']),
           'T2I_RUNS': str(tmp_path/'runs')}
    run = tmp_path/preset
    args = [str(BIN/'papermill'), 'nbs/jobs/train.ipynb', str(tmp_path/f'{preset}.ipynb'), '-k', 't2i_nb', '--cwd', '.',
            '-p', 'preset', preset, '-p', 'data_root', str(data), '-p', 'run_dir', str(run), '-p', 'steps', '1',
            '-p', 'batch_size', '2', '-p', 'device', 'cpu', '--no-progress-bar']
    for k, v in params.items(): args += ['-y', f'{k}: {v}'] if isinstance(v, dict) else ['-p', k, str(v)]
    r = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    text = (run/'metrics.json').read_text()
    assert 'shapes-oracle' not in text and 'mini-clip' not in text, text
    return json.loads(text)


CPU = {'amp': 'none'}       # the presets' fp16 needs CUDA (bf16 autocast is emulated, and slow, on this CPU)


def test_galip_cub_job_reports_its_protocol(tmp_path, standins, monkeypatch):
    cub = make_cub(tmp_path/'birds')
    n_test = len(T2IDataset(cub, 'cub', 'test').keys)
    m = job(tmp_path, standins, 'galip-cub', cub, eval_passes=1, eval_batch=2, overrides=CPU)
    import torch                      # the checkpoint keeps the frozen ViT's fingerprint, not its 351 MB (neither in G nor in an EMA)
    ck = torch.load(next((tmp_path/'galip-cub'/'checkpoints').glob('step-*.pt')), map_location='cpu', weights_only=True)
    assert ck['frozen']['G']['n'] > 100 and not any('CLIP_ViT.visual.' in k for k in (*ck['models']['G'], *(ck['ema'] or {})))
    p = m['protocol']
    assert p['name'] == 'galip' and p['extractor']['kind'] == 'torchvision-inception-v3'
    assert p['extractor']['fingerprint'] == fingerprint(standins['inception'])
    assert p['clip']['model'] == 'ViT-B-32' and p['clip']['fingerprint'] == fingerprint(standins['clip']) and p['clip']['scale'] == 1
    assert p['samples']['formula'] == 1 * (n_test // 2) * 2 == m['n_samples']
    assert p['reference']['source'].startswith('ours') and np.isfinite(m['fid']) and -1 <= m['clip_score'] <= 1
    # the formula at the paper's settings: 12 passes over CUB's 2,933 test images at batch 64
    assert PROTOCOLS['galip'].passes_for('cub') * (2933 // 64) * 64 == 34_560
    # images made elsewhere, judged by the same protocol (what `t2i eval --protocol galip --dataset cub` runs)
    monkeypatch.setenv('T2I_INCEPTION_WEIGHTS', str(standins['inception'])); monkeypatch.setenv('T2I_CLIP_WEIGHTS', str(standins['clip']))
    e = run_evaluation(tmp_path/'galip-cub'/'eval'/'samples', cub, tmp_path/'eval', protocol='galip', dataset='cub')
    assert e['protocol']['name'] == 'galip' and e['n_samples'] == m['n_samples']
    assert json.loads((tmp_path/'eval'/'metrics.json').read_text())['fid'] == e['fid']
    with pytest.raises(T2IError, match='cannot be compared'): check_comparable(m, {**m, 'protocol': {**p, 'name': 'ratlip'}})
    check_comparable(m, e)            # one protocol, the same weight and statistics files, the same count


def test_ratlip_cub_job_uses_the_official_statistics_file(tmp_path, standins):
    "RATLIP: GALIP's protocol with CS x100; DF-GAN's official statistics file is used when the dataset has it."
    cub = make_cub(tmp_path/'birds')
    (cub/'npz').mkdir(exist_ok=True)
    np.savez(cub/'npz'/'bird_val256_FIDK0.npz', mu=np.zeros(2048), sigma=np.eye(2048))
    r = job(tmp_path, standins, 'ratlip-cub', cub, eval_passes=1, eval_batch=2, overrides=CPU)
    assert r['protocol']['name'] == 'ratlip' and r['protocol']['clip']['scale'] == 100
    assert r['protocol']['reference']['source'] == 'official DF-GAN statistics'
    assert r['protocol']['reference']['fingerprint'] == fingerprint(cub/'npz'/'bird_val256_FIDK0.npz')


def test_hdgan_cub_job_reports_is_and_ms_ssim(tmp_path, standins):
    cub = make_cub(tmp_path/'birds')
    n_test = len(T2IDataset(cub, 'cub', 'test').keys)
    m = job(tmp_path, standins, 'hdgan-cub-256', cub, eval_batch=4)
    p = m['protocol']
    assert p['name'] == 'hdgan' and p['extractor']['fingerprint'] == fingerprint(standins['inception']) and p['clip'] is None
    assert p['samples']['formula'] == 10 * n_test == m['n_samples'] >= 10       # 10 samples per test image, as StackGAN
    assert m['is'] >= 1 and 0 < m['ms_ssim'] <= 1 and 'fid' not in m


def test_paper_presets_refuse_the_oracle_and_missing_weights_before_training(tmp_path, monkeypatch):
    from t2i_nb.jobs import job_config
    with pytest.raises(T2IError, match='shapes oracle'): job_config('galip-cub', str(tmp_path), protocol='shapes')
    with pytest.raises(T2IError, match='not is'): job_config('galip-cub', str(tmp_path), metrics='fid,is')
    monkeypatch.setenv('T2I_INCEPTION_WEIGHTS', str(tmp_path/'absent.pth'))
    with pytest.raises(MissingFileError, match='T2I_INCEPTION_WEIGHTS') as e: job_config('galip-cub', str(tmp_path))
    assert 'absent.pth' in str(e.value) and "inception_v3(weights='IMAGENET1K_V1')" in str(e.value)
    assert job_config('galip-cub', str(tmp_path), eval_samples=0)[1] == 0             # no evaluation: no weights needed


def dfgan_frechet(mu1, sigma1, mu2, sigma2, eps=1e-6):
    "DF-GAN's / GALIP's `calculate_frechet_distance` (pytorch-fid's formula: scipy sqrtm of the product), written out."
    from scipy import linalg
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def test_frechet_distance_matches_the_official_formula():
    from t2i_nb.measures import frechet_distance, gaussian_stats
    rng = np.random.default_rng(0)
    for d, n in ((8, 50), (64, 300), (256, 2000)):
        a, b = rng.normal(size=(n, d)), rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + 0.5
        s = (*gaussian_stats(a), *gaussian_stats(b))
        ours, theirs = frechet_distance(*s), dfgan_frechet(*s)
        assert abs(ours - theirs) <= 1e-6 * abs(theirs), (d, ours, theirs)
