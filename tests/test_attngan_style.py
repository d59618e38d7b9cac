"""AttnGAN with style blocks (53_attngan_style): the papermill train job for attngan-style-shapes1, a step with the
contrastive terms on, the paper preset's settings, and the actionable error for an image size the stages cannot split."""
import json, math, os

import pytest
import torch

from conftest import run_cli
from t2i_nb.config import make_config
from t2i_nb.core import T2IError, cpu_threads
from t2i_nb.contrastive import attngan_style as ast
from t2i_nb.recipes import RECIPES

torch.set_num_threads(cpu_threads())          # the in-process training below: one thread under T2I_THREADS=1
FAST = {'model.ngf': 8, 'model.ndf': 4, 'model.nz': 8, 'model.c_dim': 8, 'model.w_dim': 8, 'model.n_mlp': 2}


def test_papermill_job_trains(tmp_path, shapes_centred):
    import subprocess
    from test_jobs import PAPERMILL, ROOT
    run = tmp_path/'run'; run.mkdir()
    params = dict(preset='attngan-style-shapes1', data_root=str(shapes_centred), run_dir=str(run), steps=2, batch_size=6, eval_samples=0,
                  overrides=FAST)                                # -y: papermill's -p cannot pass a dict
    r = subprocess.run([str(PAPERMILL), str(ROOT/'nbs'/'jobs'/'train.ipynb'), str(run/'train.ipynb'), '-k', 't2i_nb', '--cwd', str(ROOT),
                        '--no-progress-bar', '-y', json.dumps(params)], capture_output=True, text=True,
                       env=os.environ | {'OMP_NUM_THREADS': str(cpu_threads())})   # the job's torch: T2I_THREADS threads
    assert r.returncode == 0, r.stderr[-3000:]
    assert (run/'checkpoints'/'step-00000002.pt').exists() and (run/'samples'/'step-00000002.png').exists()
    logs = [json.loads(l) for l in (run/'log.jsonl').read_text().splitlines()]
    assert logs and logs[-1]['step'] == 2
    keys = ('d_loss', 'g_loss', 'g_adv', 'kl', 'damsm', 'd0_real', 'd2_fake')
    assert all(math.isfinite(l[k]) for l in logs for k in keys) and all('cr' not in l and 'cf' not in l for l in logs)
    ck = torch.load(run/'checkpoints'/'step-00000002.pt', weights_only=True)
    assert set(ck['models']) == {'G', 'D'}                       # the frozen DAMSM is not checkpointed


def test_contrastive_terms_train(tmp_path, shapes_centred):
    from t2i_nb.train import read_log, train
    over = {'data_root': str(shapes_centred), 'steps': 1, 'batch_size': 6, 'log_every': 1, 'eval_every': 0, 'ckpt_every': 0,
            'captions_per_sample': 2, 'model.lambda_cr': 0.2, 'model.lambda_cf': 0.2} | FAST
    train(make_config('attngan-style-shapes1', over), tmp_path/'cl', progress=False)
    log = read_log(tmp_path/'cl')
    assert log[['g_loss', 'damsm', 'cr', 'cf']].notna().all().all() and torch.isfinite(torch.tensor(log.g_loss.values)).all()
    with pytest.raises(T2IError, match='captions_per_sample=2'):
        train(make_config('attngan-style-shapes1', over | {'captions_per_sample': 1}), tmp_path/'x', progress=False)


def test_bad_image_size_is_actionable(shapes_centred):
    cfg = make_config('attngan-style-shapes1', {'data_root': str(shapes_centred), 'image_size': 96} | FAST)
    with pytest.raises(T2IError, match=r'image_size = 4·2\^k .* use one of \[32, 64, 128, 256, 512\]'): RECIPES['attngan-style'](cfg)
    with pytest.raises(T2IError, match='got 48'): ast.stage_sizes(48)


def test_paper_preset():
    cfg = make_config('attngan-style-cub')
    assert (cfg.model, cfg.dataset, cfg.epochs, cfg.batch_size, cfg.image_size, cfg.load_size) == ('attngan-style', 'cub', 600, 10, 256, 304)
    assert (cfg.lr_g, cfg.lr_d, tuple(cfg.betas)) == (2e-3, 2e-3, (0.5, 0.999))
    mc = cfg.model_cfg
    assert (mc['ngf'], mc['ndf'], mc['nz'], mc['n_mlp'], mc['lr_mul'], mc['lambda_damsm'], mc['gamma1']) == (64, 64, 100, 8, 0.01, 5.0, 4.0)
    assert mc['lambda_cr'] == mc['lambda_cf'] == mc['lambda_cp'] == 0.0
    assert list(ast.TABLE1_STYLE)[0] == 'AttnGAN + style' and len(ast.TABLE1_STYLE) == 5
