"""SSA-GAN (52_ssagan): `t2i train` end to end for ssagan-shapes1, the paper presets' configs without weights, and
the actionable errors for missing DAMSM files and captioners."""
import json

import pytest
import torch

from conftest import run_cli
from t2i_nb.config import make_config
from t2i_nb.core import MissingFileError, T2IError
from t2i_nb.contrastive import ssagan as sg

FAST = ['batch_size=8', 'log_every=1', 'eval_every=0', 'model.ngf=4', 'model.ndf=4', 'model.mask_ch=4']


def test_train_cli_end_to_end(tmp_path, shapes_centred):
    run = tmp_path/'run'
    r = run_cli('train', '--preset', 'ssagan-shapes1', '--run-dir', run, '--data', shapes_centred, '--steps', 2, '--eval-samples', 0,
                '--no-progress', '--set', *FAST)
    assert 'step 2 of 2' in r.stdout
    for f in ('config.json', 'log.jsonl', 'checkpoints/step-00000002.pt', 'samples/step-00000002.png'):
        assert (run/f).exists() and (run/f).stat().st_size > 0, f
    logs = [json.loads(l) for l in (run/'log.jsonl').read_text().splitlines()]
    assert [l['step'] for l in logs] == [1, 2]
    assert all(l['ma_gp'] >= 0 and l['damsm'] > 0 and 'cr' not in l and 'cf' not in l for l in logs)
    ck = torch.load(run/'checkpoints/step-00000002.pt', weights_only=True)
    assert set(ck['models']) == {'G', 'D'}                       # the frozen DAMSM is not checkpointed


@pytest.mark.parametrize('preset,dataset,epochs', [('ssagan-cub', 'cub', 600), ('ssagan-coco', 'coco', 120)])
def test_paper_presets(preset, dataset, epochs):
    cfg = make_config(preset)
    assert (cfg.model, cfg.dataset, cfg.epochs, cfg.batch_size, cfg.image_size, cfg.load_size) == ('ssagan', dataset, epochs, 24, 256, 304)
    assert (cfg.lr_g, cfg.lr_d, tuple(cfg.betas)) == (1e-4, 4e-4, (0.0, 0.9))
    mc = cfg.model_cfg
    assert (mc['ngf'], mc['ndf'], mc['nz'], mc['lambda_damsm'], mc['gamma1']) == (64, 64, 100, 0.05, 5.0)
    assert mc['lambda_cr'] == mc['lambda_cf'] == mc['lambda_cp'] == 0.0
    assert sg.ssa_g_channels(mc['ngf'], cfg.image_size)[0] == (512, 512) and len(sg.ssa_g_channels(mc['ngf'], cfg.image_size)) == 7


def test_missing_damsm_is_actionable(tmp_path, shapes_centred):
    cfg = make_config('ssagan-shapes1', {'data_root': str(shapes_centred), 'model.damsm': str(tmp_path/'none.pt'), 'model.ngf': 4})
    from t2i_nb.recipes import RECIPES
    with pytest.raises(MissingFileError, match='t2i train --preset damsm-shapes'): RECIPES['ssagan'](cfg)
    cub = make_config('ssagan-cub', {'data_root': str(tmp_path)})
    from t2i_nb.contrastive.damsm import write_captions_pickle
    write_captions_pickle(tmp_path/'captions.pickle', [[1]], [[1]], {0: '<end>', 1: 'bird'}, {'<end>': 0, 'bird': 1})
    with pytest.raises(MissingFileError, match='text_encoder200.pth'): RECIPES['ssagan'](cub)
    with pytest.raises(MissingFileError, match='make_captioner'): sg.load_captioner('')
    r = run_cli('train', '--preset', 'ssagan-shapes1', '--run-dir', tmp_path/'r', '--data', shapes_centred, '--steps', 1,
                '--no-progress', '--set', f'model.damsm={tmp_path/"none.pt"}', check=False)
    assert r.returncode != 0 and 't2i train --preset damsm-shapes' in r.stdout + r.stderr and 'Traceback' not in r.stderr
