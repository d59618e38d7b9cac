"""GALIP's checkpoint converter on a state dict with the official key names and shapes (recorded from
tobran/GALIP's own modules, see fixtures/galip_official_keys.json), without the official code."""
import json
from pathlib import Path

import open_clip
import pytest
import torch

from t2i_nb.core import T2IError
from t2i_nb.galip import GALIPDisc, NetG
from t2i_nb.galip_official import load_official

KEYS = json.loads((Path(__file__).parent/'fixtures'/'galip_official_keys.json').read_text())


def official_state(seed=0):
    g = torch.Generator().manual_seed(seed)
    rnd = lambda shape: torch.randn(*shape, generator=g)
    netG = {k: rnd(s) for k, s in KEYS['netG'].items()}
    netG.update({k: torch.zeros(1) for k in KEYS['netG_frozen_clip_keys']})      # dropped: CLIP comes from CLIP
    return {'model': {'netG': netG, 'netD': {k: rnd(s) for k, s in KEYS['netD'].items()},
                      'netC': {k: rnd(s) for k, s in KEYS['netC'].items()}}, 'epoch': 1}


@pytest.fixture(scope='module')
def modules():
    vis = open_clip.create_model('ViT-B-32', pretrained=None).visual
    return NetG(vis, 64, 100, 512, 256), GALIPDisc(768, 3, 512, 512)


def test_converter_maps_every_official_weight(modules):
    G, D = modules
    st = official_state()
    report = load_official(G, D, st)
    g_own, d_own = G.state_dict(), D.state_dict()
    for k, v in st['model']['netG'].items():
        if 'CLIP_ViT' in k: continue
        assert torch.equal(g_own[k.removeprefix('module.')], v), k
    for part, prefix in (('netD', 'netD.'), ('netC', 'netC.')):
        for k, v in st['model'][part].items():
            if prefix + k in d_own: assert torch.equal(d_own[prefix + k], v), k
            else: assert prefix + k in report['dropped_unused_conv_s'], k
    assert len(report['dropped_unused_conv_s']) == 4                    # the two unused 1×1 shortcuts
    trainable = {k for k, p in G.named_parameters() if p.requires_grad}
    assert trainable == {k.removeprefix('module.') for k in KEYS['netG']}  # nothing of ours is left unloaded


def test_converter_refuses_what_does_not_fit(modules, tmp_path):
    G, D = modules
    st = official_state()
    st['model']['netC']['joint_conv.0.weight'] = torch.zeros(128, 1000, 4, 4)   # e.g. another CLIP width
    with pytest.raises(T2IError, match='does not fit'):
        load_official(G, D, st)
    st = official_state()
    st['model']['netG']['module.fc_code.weight'] = torch.zeros(3, 100)      # a wrong shape in the generator
    before = {k: v.clone() for k, v in G.state_dict().items()}
    with pytest.raises(T2IError, match='does not fit.*fc_code.weight'):
        load_official(G, D, st)
    assert all(torch.equal(v, before[k]) for k, v in G.state_dict().items())   # nothing loaded
    with pytest.raises(T2IError, match='not a GALIP checkpoint'):
        load_official(G, D, {'model': {'netG': {}}})
    f = tmp_path/'state_epoch_001.pth'; torch.save(official_state(1), f)
    load_official(G, D, f)                                                # from a file, weights_only
    assert torch.equal(G.state_dict()['fc_code.weight'], official_state(1)['model']['netG']['module.fc_code.weight'])


@pytest.mark.parametrize('preset', ['galip-shapes', 'ratlip-shapes'])
def test_train_job_runs_galip_and_ratlip(preset, tmp_path, shapes_small):
    from test_jobs import papermill
    run = tmp_path/preset; run.mkdir()
    papermill('train.ipynb', run/'train.ipynb', ('preset', preset), ('data_root', shapes_small), ('run_dir', run),
              ('steps', 2), ('batch_size', 8), ('eval_samples', 100), ('metrics', 'fid,clip_score,semantic'))
    m = json.loads((run/'metrics.json').read_text())
    assert m['preset'] == preset and m['step'] == 2 and m['n_samples'] == 100
    assert -1 <= m['clip_score'] <= 1 and isinstance(m['fid'], float) and 'semantic_colour' in m
    log = [json.loads(l) for l in (run/'log.jsonl').read_text().splitlines()]
    assert {'ma_gp', 'clip_sim', 'd_mismatch'} <= set(log[-1])


def test_paper_presets_condition_on_unnormalised_text(tmp_path, monkeypatch):
    "galip-cub/ratlip-cub read CUB's captions through CLIP and keep the raw sentence features, as the official code."
    from t2i_nb.data.fixtures import make_cub
    from t2i_nb.config import make_config
    from t2i_nb.batches import load_data
    monkeypatch.setenv('T2I_RUNS', str(tmp_path/'runs'))                  # where an embedding cache would go
    root = make_cub(tmp_path/'birds', n_classes=2, per_class=2)
    small = {'data_root': str(root), 'image_size': 64, 'load_size': 76, 'model.clip_pretrained': None}
    assert make_config('galip-cub').model_cfg['text_norm'] is False and make_config('ratlip-cub').model_cfg['text_norm'] is False
    torch.manual_seed(0); raw = load_data(make_config('galip-cub', small)).text['sentence']     # the same random CLIP twice
    torch.manual_seed(0); unit = load_data(make_config('galip-cub', {**small, 'model.text_norm': True})).text['sentence']
    assert raw.shape == unit.shape and raw.shape[1:] == (10, 512)             # 10 captions per image, ViT-B/32 width
    ones = torch.ones(raw.shape[:2])
    assert not torch.allclose(raw.norm(dim=-1), ones, atol=1e-2)
    torch.testing.assert_close(unit.norm(dim=-1), ones)
    torch.testing.assert_close(torch.nn.functional.normalize(raw, dim=-1), unit)
    assert not list((tmp_path/'runs').rglob('*.pt'))          # a random CLIP differs per load: nothing is cached
