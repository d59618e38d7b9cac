"""HSPC-GAN (41_hspc): the command line trains hspc-shapes1 end to end and resumes, the paper presets build, GALIP is
the special case with HSPC's parts off, and bad input (no entity, missing or mismatched parses, bad settings) is
handled clearly."""
import json, subprocess, sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from conftest import ROOT, run_cli
from t2i_nb.core import DataError, MissingFileError, T2IError


@pytest.fixture(scope='module')
def centred(tmp_path_factory):
    "A 40-image shapes dataset at the one-object level (what hspc-shapes1 trains on)."
    out = tmp_path_factory.mktemp('data')/'centred'
    run_cli('data', 'shapes', '--out', out, '--n-images', 40, '--seed', 5, '--level', 'centred', '--workers', 1)
    return out


def train(run, data, steps):
    cmd = [sys.executable, '-m', 't2i_nb', 'train', '--preset', 'hspc-shapes1', '--run-dir', str(run), '--data', str(data),
           '--steps', str(steps), '--batch-size', '4', '--eval-samples', '0', '--no-progress',
           '--set', 'log_every=1', 'ckpt_every=1', 'n_grid=2', 'sample_every=0']
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return [json.loads(l) for l in (run/'log.jsonl').read_text().splitlines()]


def test_train_two_steps_then_resume(tmp_path, centred):
    run = tmp_path/'hspc'
    log = train(run, centred, 2)
    assert [r['step'] for r in log] == [1, 2]
    assert {'d_loss', 'g_loss', 'd_mismatch', 'ma_gp', 'clip_sim'} <= set(log[-1])
    assert all(torch.isfinite(torch.tensor(r['d_loss'])) for r in log)
    ck = torch.load(run/'checkpoints'/'step-00000002.pt', weights_only=True)
    assert ck['model'] == 'hspc' and any(k.startswith('local.') for k in ck['models']['G'])
    log = train(run, centred, 3)                                       # the same run, one step further: resumed
    assert [r['step'] for r in log] == [1, 2, 3]
    assert (run/'checkpoints'/'step-00000003.pt').exists()


def test_paper_presets_build_their_config():
    import open_clip
    from t2i_nb.config import make_config
    from t2i_nb.hspc.model import HSPCNetG
    for p, data in (('hspc-cub', 'cub'), ('hspc-coco', 'coco')):
        c = make_config(p)
        mc = c.model_cfg
        assert (c.model, c.dataset, c.text_encoder) == ('hspc', data, 'hspc-concepts')
        assert (c.lr_g, c.lr_d, tuple(c.betas)) == (1e-4, 4e-4, (0.0, 0.9))             # §4.1
        assert (mc['clip_name'], mc['n_local'], mc['order'], mc['prompt_mode'], mc['hmma']) == ('ViT-B-32', 6, 'G-L-G', 'gated', 'max-mis')
        assert mc['max_entities'] == 6
    mc = make_config('hspc-cub').model_cfg
    vis = open_clip.create_model('ViT-B-32', pretrained=None).visual
    G = HSPCNetG(vis, mc['ngf'], mc['nz'], 512, 256, mc['prompt_layers'], mc['n_local'], mc['order'], mc['hsp'], mc['prompt_mode'], mc['heads'])
    assert ''.join(G.plan) == 'GLLLLLLG' and G.net.mapping.CLIP_ViT.schedule.layers == (1, 2, 3, 4, 5, 6, 7, 8)
    assert all(G.net.mapping.CLIP_ViT.schedule.gated)
    for over in ({'model.n_local': 4}, {'model.order': 'G', 'model.n_local': 0}, {'model.hmma': 'both'}, {'model.hsp': False}):
        make_config('hspc-shapes', over)


def test_with_hspc_off_it_is_galip():
    from t2i_nb.clip import load_clip
    from t2i_nb.galip import NetG, PromptSchedule
    from t2i_nb.hspc.model import HSPCNetG
    vis = load_clip('mini-clip-shapes64', 'mini-clip-shapes').model.visual
    torch.manual_seed(3); ref = NetG(vis, 16, 32, 128, 64, PromptSchedule([1, 2]))
    torch.manual_seed(3); off = HSPCNetG(vis, 16, 32, 128, 64, [1, 2], n_local=0, order='G', hsp=False, mode='append')
    z, s = torch.randn(2, 32), torch.randn(2, 128)
    with torch.no_grad(): assert torch.equal(off(z, {'sentence': s}), ref(z, s))


def test_a_caption_without_entities_uses_the_global_prompt():
    from t2i_nb.clip import load_clip
    from t2i_nb.hspc.concepts import SentenceConcepts
    from t2i_nb.hspc.model import HSPCNetG, concept_tensors, token_features
    clip = load_clip('mini-clip-shapes64', 'mini-clip-shapes')
    t = concept_tensors([SentenceConcepts('it is big')], lambda ps: clip.encode_texts(ps, normalize=False))
    assert not t['ent_mask'].any() and (t['attr_owner'] == -1).all() and t['ent'].abs().sum() == 0
    ctx, m = token_features(clip.model, clip.tokenize(['it is big']))
    t.update(sentence=clip.encode_texts(['it is big'], normalize=False), context=ctx, context_mask=m)
    torch.manual_seed(0)
    G = HSPCNetG(clip.model.visual, 16, 32, 128, 64, [0, 1, 2, 3], n_local=2)
    with torch.no_grad():
        pr = G.prompts(torch.randn(1, 32), t)
        assert torch.equal(pr[:, 1], pr[:, 0]) and torch.equal(pr[:, 2], pr[:, 0])
        assert torch.isfinite(G(torch.randn(1, 32), t)).all()


def test_missing_or_mismatched_parses_and_bad_settings(tmp_path, monkeypatch):
    from t2i_nb.config import make_config
    from t2i_nb.hspc.model import HSPCRecipe, caption_concepts, prompt_plan
    (tmp_path/'text').mkdir()
    (tmp_path/'text'/'k.txt').write_text('a red circle\n')
    src = SimpleNamespace(captions=[['a red circle']], root=tmp_path, keys=['k'])
    with pytest.raises(MissingFileError, match='t2i data parse'): caption_concepts(src, 1)
    (tmp_path/'text'/'k.conllu').write_text('# text = a blue square\n1\ta\ta\tDET\tDT\t_\t3\tdet\t_\t_\n'
                                            '2\tblue\tblue\tADJ\tJJ\t_\t3\tamod\t_\t_\n3\tsquare\tsquare\tNOUN\tNN\t_\t0\troot\t_\t_\n\n')
    with pytest.raises(DataError, match='do not match'): caption_concepts(src, 1)
    monkeypatch.setenv('STANZA_RESOURCES_DIR', str(tmp_path/'no-stanza'))        # new captions, no stanza models
    with pytest.raises(MissingFileError, match="stanza's 'en' models"):
        caption_concepts(SimpleNamespace(captions=[['a red circle']], root=None), 1)
    with pytest.raises(T2IError, match='prompt order'): prompt_plan(4, 2, 'L-G-L')
    with pytest.raises(T2IError, match='do not fit'): prompt_plan(4, 4, 'G-L-G')
    with pytest.raises(T2IError, match='num_emb=1'): HSPCRecipe(make_config('hspc-shapes1', {'num_emb': 2}))
    with pytest.raises(T2IError, match='model.hmma'): HSPCRecipe(make_config('hspc-shapes1', {'model.hmma': 'max'}))


def _negatives_data():
    from t2i_nb.galip import GALIPDisc
    torch.manual_seed(0)
    D = GALIPDisc(16, 2, 8, 6)
    g = torch.Generator().manual_seed(1)
    maps, fmaps = torch.randn(6, 2, 16, 8, 8, generator=g), torch.randn(6, 2, 16, 8, 8, generator=g)
    sent, wrong = torch.randn(6, 6, generator=g), torch.randn(6, 6, generator=g)
    return D, maps, fmaps, sent, wrong, torch.tensor([0, 1, 3, 3, 4, 5])


def _negatives_worker(rank, world, port, out):
    import os
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    from t2i_nb.hspc.model import HMMA, hard_negatives
    D, maps, fmaps, sent, wrong, index = _negatives_data()
    D = torch.nn.parallel.DistributedDataParallel(D)
    s = slice(rank * 3, rank * 3 + 3)
    res = {v: hard_negatives(D, maps[s], sent[s], fmaps[s], wrong[s], index[s], v) for v in HMMA}
    torch.save(res, f'{out}.{rank}')
    del D, res               # DDP's gloo hooks go before the group does; and both ranks leave together
    dist.barrier(); dist.destroy_process_group()   # (without these, 1 run in 3 aborted at exit: 'terminate called ...')


def test_hard_negatives_are_mined_across_processes(tmp_path):
    "Two gloo processes with half the batch each pick the same hard negatives as one process with all of it."
    import torch.multiprocessing as mp
    from test_parallel import free_port
    from t2i_nb.hspc.model import HMMA, hard_negatives
    out = tmp_path/'neg.pt'
    mp.start_processes(_negatives_worker, args=(2, free_port(), str(out)), nprocs=2, join=True, start_method='spawn')
    D, maps, fmaps, sent, wrong, index = _negatives_data()
    for v in HMMA:
        fake, mis = hard_negatives(D, maps, sent, fmaps, wrong, index, v)
        got = [torch.load(f'{out}.{r}', weights_only=True)[v] for r in (0, 1)]
        assert torch.equal(torch.cat([g[0] for g in got]), fake) and torch.equal(torch.cat([g[1] for g in got]), mis), v
        if v != 'mean': assert not (torch.equal(fake, fmaps) and torch.equal(mis, wrong)), v   # something was mined


def test_hspc_with_its_parts_off_trains_as_galip(tmp_path, centred):
    "The recipe, not just the generator: HSPC's parts off, hspc-shapes1 logs GALIP's losses bit for bit."
    from t2i_nb.config import make_config
    from t2i_nb.train import Trainer
    common = {'data_root': str(centred), 'steps': 2, 'batch_size': 4, 'log_every': 1, 'eval_every': 0, 'n_grid': 2}
    off = {'model.n_local': 0, 'model.order': 'G', 'model.hsp': False, 'model.prompt_mode': 'append', 'model.hmma': 'mean',
           'model.prompt_layers': [1, 2]}
    logs = {}
    for name, preset, over in (('galip', 'galip-shapes1', {}), ('hspc', 'hspc-shapes1', off)):
        Trainer(make_config(preset, {**common, **over}), tmp_path/name, progress=False).fit()
        logs[name] = [json.loads(l) for l in (tmp_path/name/'log.jsonl').read_text().splitlines()]
    for a, b in zip(logs['galip'], logs['hspc']):
        for k in ('d_loss', 'g_loss', 'd_mismatch', 'ma_gp', 'clip_sim'): assert a[k] == b[k], (a['step'], k)
