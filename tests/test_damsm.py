"""DAMSM and the contrastive losses (50_damsm, 51_contrastive): `t2i train` end to end for damsm-shapes and
damsm-cl-shapes, AttnGAN's captions.pickle round trip and the shapes writer, damsm-tokens on a CUB-layout pickle,
the loaders' errors, and NT-Xent over two gloo processes equal to one process over the whole batch."""
import json, os, pickle, socket
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from conftest import run_cli
from t2i_nb.core import DataError, MissingFileError
from t2i_nb.contrastive import damsm as dm

FAST = ['batch_size=8', 'log_every=1', 'model.width=8']


@pytest.mark.parametrize('preset', ['damsm-shapes', 'damsm-cl-shapes'])
def test_train_cli_end_to_end(tmp_path, shapes_small, preset):
    run = tmp_path/'run'
    r = run_cli('train', '--preset', preset, '--run-dir', run, '--data', shapes_small, '--steps', 2, '--eval-samples', 0,
                '--no-progress', '--set', *FAST)
    assert 'step 2 of 2' in r.stdout
    for f in ('config.json', 'log.jsonl', 'losses.png', 'checkpoints/step-00000002.pt', 'samples/step-00000002.png'):
        assert (run/f).exists() and (run/f).stat().st_size > 0, f
    logs = [json.loads(l) for l in (run/'log.jsonl').read_text().splitlines()]
    assert [l['step'] for l in logs] == [1, 2] and all(l['w_loss0'] > 0 and l['s_loss1'] > 0 for l in logs)
    assert ('cl_loss' in logs[0]) == (preset == 'damsm-cl-shapes')
    text, image = dm.load_damsm_run(run)                       # what a generator recipe loads
    assert not any(p.requires_grad for p in text.parameters()) and not image.training
    w, s = text(torch.tensor([[1, 2, 3]]), torch.tensor([3]))
    assert w.shape == (1, 256, 3) and s.shape == (1, 256)


def test_captions_pickle_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv('T2I_RUNS', str(tmp_path/'runs'))
    root = tmp_path/'shapes'
    caps = {'train': {'a/1': ['A red circle.', 'a RED disc'], 'a/2': ['a blue square', 'there is a blue box']},
            'test': {'b/3': ['a green circle', 'a blue disc']}}
    for split, d in caps.items():
        (root/split).mkdir(parents=True)
        (root/split/'filenames.txt').write_text('\n'.join(d) + '\n')
        for k, cs in d.items():
            (root/'text'/k).parent.mkdir(parents=True, exist_ok=True); (root/'text'/f'{k}.txt').write_text('\n'.join(cs) + '\n')
    p = dm.shapes_captions_pickle(root)
    with open(p, 'rb') as f: raw = pickle.load(f)
    assert isinstance(raw, list) and len(raw) == 4                                   # [train, test, ixtoword, wordtoix]
    train, test, ixtoword, wordtoix = raw
    assert ixtoword[0] == '<end>' and wordtoix['<end>'] == 0 and 'green' not in wordtoix   # vocabulary: train split only
    assert [' '.join(ixtoword[i] for i in c) for c in train] == ['a red circle', 'a red disc', 'a blue square', 'there is a blue box']
    assert [' '.join(ixtoword[i] for i in c) for c in test] == ['a circle', 'a blue disc']     # unknown 'green' dropped
    assert dm.read_captions_pickle(p) == dict(train=train, test=test, ixtoword=ixtoword, wordtoix=wordtoix)
    q = dm.write_captions_pickle(tmp_path/'again.pickle', train, test, ixtoword, wordtoix)
    assert dm.read_captions_pickle(q) == dm.read_captions_pickle(p)
    assert dm.shapes_captions_pickle(root) == p                                        # cached
    with pytest.raises(MissingFileError, match='captions.pickle'): dm.read_captions_pickle(tmp_path/'captions.pickle')
    (tmp_path/'bad.pickle').write_bytes(pickle.dumps({'not': 'a list'}))
    with pytest.raises(DataError, match='ixtoword'): dm.read_captions_pickle(tmp_path/'bad.pickle')


def test_damsm_tokens_reads_the_datasets_pickle(tmp_path):
    "CUB/COCO: ids come from captions.pickle (caption k of image i at i*K + k), longer captions cut to words_num in order."
    from t2i_nb.config import make_config
    from t2i_nb.batches import TEXT_ENCODERS
    enc = TEXT_ENCODERS['damsm-tokens']
    cfg = make_config('damsm-cub', {'data_root': str(tmp_path)})
    src = SimpleNamespace(keys=['x/1', 'x/2'], captions=[['c'] * 2] * 2)
    with pytest.raises(MissingFileError, match='captions.pickle'): enc.encode(cfg, src, 'train', 2)
    long = list(range(1, 31))
    dm.write_captions_pickle(tmp_path/'captions.pickle', [[1, 2], [3], long, [4, 5, 6]], [[7]], {i: f'w{i}' if i else '<end>' for i in range(31)},
                             {(f'w{i}' if i else '<end>'): i for i in range(31)})
    out = enc.encode(cfg, src, 'train', 2)
    assert out['tokens'].shape == (2, 2, 18) and out['lengths'].tolist() == [[2, 1], [18, 3]]
    assert out['tokens'][0, 0, :3].tolist() == [1, 2, 0] and out['tokens'][1, 1, :3].tolist() == [4, 5, 6]
    kept = out['tokens'][1, 0].tolist()
    assert kept == sorted(kept) and set(kept) <= set(long)
    with pytest.raises(DataError, match='not a multiple'): enc.encode(cfg, SimpleNamespace(keys=['a', 'b', 'c'], captions=[]), 'train', 3)


def test_loader_errors(tmp_path):
    for load, name in ((dm.load_text_encoder, 'text_encoder200.pth'), (dm.load_image_encoder, 'image_encoder200.pth')):
        with pytest.raises(MissingFileError, match='DAMSMencoders') as e: load(tmp_path/name)
        assert name in str(e.value)
    torch.manual_seed(0)
    t = dm.RNNEncoder(12)
    torch.save(t.state_dict(), tmp_path/'text_encoder200.pth')          # AttnGAN's RNN_ENCODER key layout
    t2 = dm.load_text_encoder(tmp_path/'text_encoder200.pth', n_words=12)
    assert all(torch.equal(a, b) for a, b in zip(t.state_dict().values(), t2.state_dict().values()))
    with pytest.raises(DataError, match='different datasets'): dm.load_text_encoder(tmp_path/'text_encoder200.pth', n_words=13)
    torch.save({'encoder.weight': torch.zeros(3, 3)}, tmp_path/'broken.pth')
    with pytest.raises(DataError, match='RNN_ENCODER'): dm.load_text_encoder(tmp_path/'broken.pth')
    with pytest.raises(DataError, match='CNN_ENCODER'): dm.load_image_encoder(tmp_path/'text_encoder200.pth')
    (tmp_path/'junk.pth').write_bytes(b'not a torch file')
    with pytest.raises(DataError, match='readable'): dm.load_text_encoder(tmp_path/'junk.pth')
    with pytest.raises(MissingFileError, match='Pretrain first'): dm.load_damsm_run(tmp_path/'no_run')


B = 8


def ddp_worker(rank, world, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    from t2i_nb.contrastive.losses import nt_xent
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(B, 6, generator=g), torch.randn(B, 6, generator=g)
    s = slice(rank * B // world, (rank + 1) * B // world)
    a, b = a[s].clone().requires_grad_(), b[s].clone().requires_grad_()
    loss = nt_xent(a, b)
    loss.backward()
    parts = [None] * world
    dist.all_gather_object(parts, (loss.item(), a.grad / world, b.grad / world))   # DDP would average W × local grads
    if rank == 0: torch.save(parts, out)
    dist.destroy_process_group()


def test_nt_xent_two_processes_equal_one(tmp_path):
    from t2i_nb.contrastive.losses import nt_xent
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    mp.start_processes(ddp_worker, args=(2, port, str(tmp_path/'g.pt')), nprocs=2, join=True, start_method='spawn')
    parts = torch.load(tmp_path/'g.pt', weights_only=False)
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(B, 6, generator=g).requires_grad_(), torch.randn(B, 6, generator=g).requires_grad_()
    loss = nt_xent(a, b); loss.backward()
    for l, _, _ in parts: assert abs(l - loss.item()) < 1e-6                            # every process: the global loss
    torch.testing.assert_close(torch.cat([p[1] for p in parts]), a.grad, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(torch.cat([p[2] for p in parts]), b.grad, rtol=1e-5, atol=1e-7)


def test_papermill_job_trains_and_evaluates_damsm(tmp_path, shapes_small):
    "The training job on a DAMSM preset: its evaluation is the recipe's own (R-precision of the encoders), not the generator protocol."
    from test_jobs import papermill
    run = tmp_path/'run'; run.mkdir()
    papermill('train.ipynb', run/'train.ipynb', ('preset', 'damsm-shapes'), ('data_root', shapes_small), ('run_dir', run),
              ('steps', 2), ('batch_size', 8), ('eval_samples', 100))
    m = json.loads((run/'metrics.json').read_text())
    assert m['step'] == 2 and m['images'] == 'real test images'
    assert ('r_precision' in m) or ('at least 100' in m['skipped'])       # shapes_small has fewer than 100 test images
    assert (run/'checkpoints'/'step-00000002.pt').exists() and (run/'samples'/'step-00000002.png').exists()
