"""The shared trainer across processes: exact resume after a real kill, DDP (gloo, 2 processes) equals one process
over the combined batch, the papermill training job end to end, and the command line's errors."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import nbformat
import pytest
import torch

from conftest import ROOT, run_cli
from test_jobs import papermill

# a small, fast HDGAN: the real recipe and preset, narrower, on the session's 300-image shapes dataset
FAST = ['batch_size=8', 'log_every=1', 'sample_every=0', 'model.widths={"4": 32, "8": 32, "16": 16, "32": 16, "64": 8}',
        'model.enc_dim=32', 'model.sent_dim=16']


def train_cmd(run, data, *extra, steps=12):
    return [sys.executable, '-m', 't2i_nb', 'train', '--preset', 'hdgan-shapes', '--run-dir', str(run), '--data', str(data),
            '--steps', str(steps), '--eval-samples', '0', '--no-progress', '--set', *FAST, *extra]


def weights(run, step):
    ck = torch.load(Path(run)/'checkpoints'/f'step-{step:08d}.pt', weights_only=True)
    return ck['models']


def assert_same(a, b, tol=0.0):
    for m in a:
        for k in a[m]:
            if a[m][k].is_floating_point():
                err = (a[m][k] - b[m][k]).abs().max().item()
                assert err <= tol, f'{m}.{k}: max difference {err}'
            else: assert torch.equal(a[m][k], b[m][k]), f'{m}.{k}'


def test_resume_after_kill_is_exact(tmp_path, shapes_small):
    straight, killed = tmp_path/'straight', tmp_path/'killed'
    subprocess.run(train_cmd(straight, shapes_small, 'ckpt_every=4'), check=True, cwd=ROOT, capture_output=True)
    # the same run, killed (SIGKILL: no clean-up at all) right after its first checkpoint
    p = subprocess.Popen(train_cmd(killed, shapes_small, 'ckpt_every=2'), cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    first = killed/'checkpoints'/'step-00000002.pt'
    t0 = time.time()
    while not first.exists():
        assert p.poll() is None, f'the run ended before its first checkpoint: {p.stderr.read().decode()[-2000:]}'
        assert time.time() - t0 < 300, 'no checkpoint after 300 s'
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL
    done = sorted(x.name for x in (killed/'checkpoints').glob('step-*.pt'))
    assert 'step-00000012.pt' not in done, f'the kill came too late to test anything: {done}'
    log = [json.loads(l)['step'] for l in (killed/'log.jsonl').read_text().splitlines() if l.endswith('}')]
    with open(killed/'log.jsonl', 'a') as f:          # what a kill can leave: a line past the checkpoint, one cut short
        f.write('{"step": 99, "d_loss": 0.0}\n{"step": 100, "d_lo')
    subprocess.run(train_cmd(killed, shapes_small, 'ckpt_every=2'), check=True, cwd=ROOT, capture_output=True)
    assert_same(weights(straight, 12), weights(killed, 12))                   # bit-identical weights
    a = torch.load(straight/'checkpoints'/'step-00000012.pt', weights_only=True)
    b = torch.load(killed/'checkpoints'/'step-00000012.pt', weights_only=True)
    assert a['optimizers']['G']['state'][0]['exp_avg_sq'].equal(b['optimizers']['G']['state'][0]['exp_avg_sq'])
    steps = [json.loads(l)['step'] for l in (killed/'log.jsonl').read_text().splitlines()]
    assert steps == list(range(1, 13)), (log, steps)                         # lines after the checkpoint were dropped


def test_ddp_step_equals_single_process_step(tmp_path, shapes_small):
    single, ddp = tmp_path/'single', tmp_path/'ddp'
    # float64: Adam turns float32 rounding noise on zero-gradient parameters into ±lr steps (see 17_parallel)
    subprocess.run(train_cmd(single, shapes_small, 'dtype=float64', steps=1), check=True, cwd=ROOT, capture_output=True)
    cmd = train_cmd(ddp, shapes_small, 'dtype=float64', steps=1)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '-m',
                        *cmd[2:]], cwd=ROOT, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = weights(single, 1), weights(ddp, 1)
    assert_same(a, b, tol=1e-6)
    from t2i_nb.config import make_config, parse_overrides
    from t2i_nb.recipes import RECIPES
    cfg = make_config('hdgan-shapes', parse_overrides(FAST))          # (also registers the recipes)
    init = RECIPES['hdgan'](cfg).G.double().state_dict()
    moved = max((a['G'][k] - init[k]).abs().max().item() for k in init if init[k].is_floating_point())
    assert moved > 1e-5                                    # the step changed the weights: the comparison is not vacuous


def test_train_job_end_to_end(tmp_path, shapes_small):
    run = tmp_path/'run'; run.mkdir()
    papermill('train.ipynb', run/'train.ipynb', ('preset', 'hdgan-shapes'), ('data_root', shapes_small), ('run_dir', run),
              ('steps', 4), ('batch_size', 8), ('eval_samples', 100))
    for f in ('config.json', 'log.jsonl', 'losses.png', 'metrics.json', 'summary.json', 'train.ipynb',
              'checkpoints/step-00000004.pt', 'samples/step-00000004.png', 'eval/samples/captions.jsonl'):
        assert (run/f).exists() and (run/f).stat().st_size > 0, f
    m = json.loads((run/'metrics.json').read_text())
    assert m['step'] == 4 and m['n_samples'] == 100 and m['extractor'] == 'shapes-oracle'
    for k in ('fid', 'kid_mean', 'is_mean', 'ms_ssim', 'semantic_colour', 'semantic_all_correct'):
        assert isinstance(m[k], float), k
    assert len(list((run/'eval'/'samples'/'images').glob('*.png'))) == 100
    nb = nbformat.read(run/'train.ipynb', as_version=4)
    assert nb.metadata.papermill.parameters['steps'] == 4


def test_cli_refuses_other_preset_and_changed_settings(tmp_path, shapes_small):
    run = tmp_path/'run'
    run_cli('train', '--preset', 'hdgan-shapes', '--run-dir', run, '--data', shapes_small, '--steps', 1, '--eval-samples', 0,
            '--no-progress', '--set', *FAST)
    r = run_cli('train', '--preset', 'toy-shapes', '--run-dir', run, '--data', shapes_small, '--eval-samples', 0, check=False)
    assert r.returncode == 2 and "preset 'hdgan-shapes'" in r.stderr and 'Traceback' not in r.stderr
    r = run_cli('train', '--preset', 'hdgan-shapes', '--run-dir', run, '--data', shapes_small, '--steps', 2, '--eval-samples', 0,
                '--set', *FAST, 'model.local=false', check=False)
    assert r.returncode == 2 and 'other settings' in r.stderr and "'local': True" in r.stderr
    r = run_cli('train', '--preset', 'hdgan-shapes', '--run-dir', run, '--resume', 'none', '--data', shapes_small, check=False)
    assert r.returncode == 2 and 'already holds checkpoints' in r.stderr
    r = run_cli('train', '--preset', 'hdgan-cub-256', '--run-dir', tmp_path/'cub', check=False)
    assert r.returncode == 2 and 'data_root' in r.stderr


def test_paper_preset_reads_cub_layout(tmp_path):
    "hdgan-cub-256's data path (StackGAN embeddings, class ids, crop + flip) on a tiny CUB fixture, scaled down."
    from t2i_nb.data.fixtures import make_cub
    root = make_cub(tmp_path/'birds', n_classes=3, per_class=4)
    run_cli('train', '--preset', 'hdgan-cub-256', '--run-dir', tmp_path/'run', '--data', root, '--steps', 2,
            '--batch-size', 4, '--eval-samples', 0, '--no-progress', '--set', 'image_size=64', 'load_size=76',
            'model.scales=[16, 32, 64]', 'model.R={"16": 1, "32": 3, "64": 5}', *FAST[2:])
    cfg = json.loads((tmp_path/'run'/'config.json').read_text())
    assert cfg['text_encoder'] == 'char-cnn-rnn' and cfg['num_emb'] == 4 and cfg['flip'] is True
    from t2i_nb.config import make_config
    from t2i_nb.batches import load_data
    d = load_data(make_config('hdgan-cub-256', {'data_root': str(root), 'image_size': 64, 'load_size': 76}))
    assert d.images.shape[-2:] == (76, 76) and d.text['sentence'].shape[1:] == (10, 1024) and d.class_ids is not None
    b = d.batch(0, 4, image_size=64, flip=True)
    assert b['image'].shape == (4, 3, 64, 64)
    assert (d.class_ids[b['wrong_index']] != d.class_ids[b['index']]).all()      # mismatches from other classes


def test_bf16_autocast_step_on_cpu(tmp_path, shapes_small):
    run = tmp_path/'bf16'
    subprocess.run(train_cmd(run, shapes_small, 'amp=bf16', steps=2), check=True, cwd=ROOT, capture_output=True)
    log = [json.loads(l) for l in (run/'log.jsonl').read_text().splitlines()]
    assert len(log) == 2 and all(torch.isfinite(torch.tensor(r['g_loss'])) for r in log)
    r = run_cli('train', '--preset', 'hdgan-shapes', '--run-dir', tmp_path/'fp16', '--data', shapes_small, '--device', 'cpu',
                '--steps', 1, '--eval-samples', 0, '--set', 'amp=fp16', *FAST, check=False)
    assert r.returncode == 2 and 'amp=fp16 needs a CUDA device' in r.stderr


def test_t2i_threads_pins_a_cpu_run(tmp_path, shapes_small, monkeypatch):
    "A CPU job runs at $T2I_THREADS threads (GAN runs on the CPU differ between thread counts), and leaves them alone without it."
    from t2i_nb.config import make_config
    from t2i_nb.train import Trainer
    before = torch.get_num_threads()
    cfg = make_config('toy-shapes', {'data_root': str(shapes_small), 'device': 'cpu', 'steps': 1})
    try:
        torch.set_num_threads(2); monkeypatch.delenv('T2I_THREADS', raising=False)
        Trainer(cfg, tmp_path/'a', progress=False); assert torch.get_num_threads() == 2
        monkeypatch.setenv('T2I_THREADS', '1')
        Trainer(cfg, tmp_path/'b', progress=False); assert torch.get_num_threads() == 1
    finally: torch.set_num_threads(before)


def test_resume_makes_the_curve_point_a_kill_lost(tmp_path, shapes_small):
    "Killed after the step-2 checkpoint but before its learning-curve point: the resumed run writes that point itself."
    from t2i_nb.config import make_config
    from t2i_nb.train import train
    cfg = make_config('toy-shapes', {'data_root': str(shapes_small), 'device': 'cpu', 'steps': 4, 'eval_every': 2,
                                     'eval_n': 20, 'ckpt_every': 2, 'sample_every': 0})
    run = tmp_path/'run'
    train(cfg, run, progress=False, until=2)
    path = run/'accuracy.jsonl'
    lines = path.read_text().splitlines()
    assert [json.loads(l)['step'] for l in lines] == [0, 2] and (run/'checkpoints'/'step-00000002.pt').exists()
    path.write_text(lines[0] + '\n')                                             # what the kill left
    train(cfg, run, progress=False)
    got = [json.loads(l) for l in path.read_text().splitlines()]
    assert [r['step'] for r in got] == [0, 2, 4]
    drop = lambda r: {k: v for k, v in r.items() if k != 'seconds'}
    assert drop(got[1]) == drop(json.loads(lines[1]))                            # the same point as before the kill
