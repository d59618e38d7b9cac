"""Bad input, as a careful new user would try it: through `t2i`, the jobs and the API.

Every case asserts the exit status (or the exception), the key words of the message, and what is on disk
afterwards: nothing changed unless the case says what should. Most CLI cases call `t2i_nb.cli.main` in this
process (the same entry point as the console script, minus a second of start-up); a few go through the
installed `t2i` script to check the exit codes and that no traceback is printed.
"""
import hashlib, json, os, pickle, shutil, warnings
from pathlib import Path

import pytest
import torch

from conftest import ROOT, run_cli
from t2i_nb.cli import main
from t2i_nb.core import DataError, T2IError, file_lock

TOY = ['train', '--preset', 'toy-shapes', '--eval-samples', '0', '--no-progress']


def snapshot(root) -> dict:
    "Every file under `root` with its bytes' digest: equal snapshots mean nothing on disk changed."
    root = Path(root)
    if not root.exists(): return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob('*')) if p.is_file()}


def t2i(capsys, *args):
    "Run `t2i ARGS` in this process: (exit status, stdout + stderr)."
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope='session')
def toy_run(tmp_path_factory, shapes_small):
    "A finished 4-step toy run with checkpoints at steps 2 and 4 (copied by each test that changes it)."
    run = tmp_path_factory.mktemp('runs')/'toy'
    assert main([*TOY, '--run-dir', str(run), '--data', str(shapes_small), '--steps', '4',
                 '--set', 'ckpt_every=2', 'keep_last=0']) == 0
    assert [p.name for p in sorted((run/'checkpoints').glob('*.pt'))] == ['step-00000002.pt', 'step-00000004.pt']
    return run


@pytest.fixture
def run_copy(toy_run, tmp_path):
    dst = tmp_path/'toy'
    shutil.copytree(toy_run, dst)
    return dst


# ---------------------------------------------------------------------------------------------------------
# config values: refused at make_config with the field named, before anything is written

CONFIG_CASES = [
    (['--set', 'keep_last=-1'], 'keep_last must be at least 0'),           # would have deleted every checkpoint
    (['--set', 'batch_size=0'], 'batch_size must be at least 1'),
    (['--batch-size', '-4'], 'batch_size must be a whole number >= 0'),
    (['--set', 'lr_g=abc'], 'lr_g must be a number'),
    (['--set', 'lr_g=-1'], 'lr_g must be greater than 0'),
    (['--set', 'lr_d=nan'], 'lr_d must be'),
    (['--set', 'steps=1.5'], 'steps must be a whole number'),
    (['--set', 'dtype=float16'], 'dtype must be one of'),
    (['--set', 'amp=fp8'], 'amp must be one of'),
    (['--device', 'gpu'], "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"),
    (['--eval-samples', '-2'], "eval_samples must be -1 (the protocol's count), 0 (no evaluation) or a positive whole number"),
    (['--protocol', 'fid30k'], "unknown evaluation protocol 'fid30k'"),
    (['--protocol', 'galip'], "protocol 'galip' needs real-image feature extractors"),
    (['--set', 'betas=[0.5]'], 'betas must be two numbers in [0, 1)'),
    (['--set', 'ema=1.5'], 'ema must be in [0, 1)'),
    (['--set', 'level=hard'], "level must be one of 'centred', 'single', 'scenes'"),
    (['--set', 'model.width=wide'], 'model.width must be a whole number'),
    (['--set', 'log_every=0'], 'log_every must be at least 1'),                 # was a ZeroDivisionError at step 1
    (['--metrics', 'fid,nope'], "unknown metric(s) 'nope'"),
    (['--steps', '-3'], 'steps must be a whole number >= 0'),
    (['--set', 'seed=-1'], 'seed must be between 0 and'),
    (['--set', 'load_size=8'], 'load_size 8 is smaller than image_size 16'),
    (['--set', 'image_size=7'], 'image_size must be between 8 and 4096'),
    (['--set', 'flip=maybe'], 'flip must be true or false'),
    (['--set', 'lr_g'], "override 'lr_g' is not key=value"),
    (['--set', 'n_gird=4'], "unknown setting 'n_gird'"),
]


@pytest.mark.parametrize('args,says', CONFIG_CASES, ids=[' '.join(a) for a, _ in CONFIG_CASES])
def test_bad_config_values_are_refused_before_anything_is_written(capsys, tmp_path, args, says):
    run = tmp_path/'run'
    code, msg = t2i(capsys, *TOY, '--run-dir', run, *args)
    assert code == 2 and says in msg and 'Traceback' not in msg, msg
    assert not run.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason='on a GPU machine --device cuda is valid')
def test_cuda_without_a_gpu_says_what_to_use(capsys, tmp_path):
    code, msg = t2i(capsys, *TOY, '--run-dir', tmp_path/'run', '--device', 'cuda')
    assert code == 2 and 'sees no CUDA GPU' in msg and "use device 'cpu'" in msg
    from t2i_nb.core import resolve_device
    with pytest.raises(T2IError, match='cuda:N'): resolve_device('cuda:x')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_bare_cuda_gets_an_index_on_a_gpu():
    from t2i_nb.core import resolve_device
    assert resolve_device('cuda').index == 0


def test_zero_steps_and_batch_mean_the_presets_everywhere():
    "`--steps 0` on the command line and `steps = 0` in the job are one thing: the preset's schedule."
    from t2i_nb.config import PRESETS
    from t2i_nb.jobs import job_config
    cfg, n_eval, metrics, protocol = job_config('toy-shapes', steps=0, batch_size=0, eval_samples=0, metrics='fid, semantic')
    assert (cfg.steps, cfg.batch_size, n_eval, metrics) == (PRESETS['toy-shapes']['steps'], PRESETS['toy-shapes']['batch_size'], 0, ('fid', 'semantic'))
    assert job_config('toy-shapes', steps=None)[0].steps == job_config('toy-shapes', steps=0)[0].steps
    assert job_config('toy-shapes', steps=7)[0].steps == 7
    with pytest.raises(T2IError, match='overrides must be a dict'): job_config('toy-shapes', overrides='lr_g=1e-4')


# ---------------------------------------------------------------------------------------------------------
# checkpoints and resume: nothing a user made is lost

def test_corrupt_newest_checkpoint_stops_and_deletes_nothing(capsys, run_copy):
    newest = run_copy/'checkpoints'/'step-00000004.pt'
    newest.write_bytes(newest.read_bytes()[:1000])                   # a write cut short outside atomic_write
    before = snapshot(run_copy)
    code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--steps', '6')
    assert code == 2 and 'step-00000004.pt' in msg and "resume with 'previous'" in msg and 'Nothing was deleted' in msg
    assert snapshot(run_copy) == before


def test_resume_previous_moves_the_corrupt_one_aside_and_continues(capsys, run_copy):
    newest = run_copy/'checkpoints'/'step-00000004.pt'
    newest.write_bytes(b'not a checkpoint')
    with pytest.warns(UserWarning, match='skipping .*step-00000004.pt'):
        code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--steps', '6', '--resume', 'previous')
    assert code == 0, msg
    assert (run_copy/'checkpoints'/'step-00000004.pt.corrupt').read_bytes() == b'not a checkpoint'
    assert sorted(p.name for p in (run_copy/'checkpoints').glob('*.pt')) == ['step-00000002.pt', 'step-00000006.pt']


def test_no_readable_checkpoint_with_previous(capsys, run_copy):
    for p in (run_copy/'checkpoints').glob('*.pt'): p.write_bytes(b'junk')
    with pytest.warns(UserWarning):
        code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--steps', '6', '--resume', 'previous')
    assert code == 2 and 'no readable checkpoint' in msg and 'resume=none' in msg
    assert len(list((run_copy/'checkpoints').glob('*.corrupt'))) == 2


def test_partial_writes_of_a_killed_process_are_cleaned_up(capsys, run_copy):
    left = [run_copy/'checkpoints'/'.step-00000006.pt.abc123.tmp', run_copy/'.log.jsonl.x1.tmp']
    for p in left: p.write_bytes(b'half a file')
    before = {k: v for k, v in snapshot(run_copy).items() if not k.endswith('.tmp')}
    with pytest.warns(UserWarning, match='removed 2 partial file'):
        code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--steps', '4')   # finished already: trains nothing
    assert code == 0 and not any(p.exists() for p in left)
    after = snapshot(run_copy)
    assert {k: after[k] for k in before if k.startswith('checkpoints')} == {k: v for k, v in before.items() if k.startswith('checkpoints')}


def test_resume_from_a_missing_file(capsys, run_copy):
    before = snapshot(run_copy)
    code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--resume', run_copy/'nope.pt')
    assert code == 2 and 'checkpoint not found' in msg and 'nope.pt' in msg
    assert snapshot(run_copy) == before


def test_resume_none_refuses_an_existing_run(capsys, run_copy):
    before = snapshot(run_copy)
    code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--resume', 'none')
    assert code == 2 and 'already holds checkpoints' in msg and 'nothing was overwritten' in msg
    assert snapshot(run_copy) == before


def test_resume_with_other_model_settings(capsys, run_copy):
    before = snapshot(run_copy)
    code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--steps', '6', '--set', 'model.width=32')
    assert code == 2 and 'trained with other settings' in msg and 'model_cfg' in msg
    assert snapshot(run_copy) == before


def test_resume_from_an_image_file(capsys, run_copy):
    png = run_copy/'losses.png'
    code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--resume', png)
    assert code == 2 and 'cannot be read as a t2i_nb checkpoint' in msg


def test_a_malicious_checkpoint_runs_no_code(capsys, run_copy, tmp_path):
    flag = tmp_path/'pwned'
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {flag}',))
    bad = run_copy/'checkpoints'/'step-00000008.pt'
    with open(bad, 'wb') as f: pickle.dump({'format': 't2i_nb-checkpoint-1', 'x': Evil()}, f)
    code, msg = t2i(capsys, *TOY, '--run-dir', run_copy, '--steps', '10')
    assert code == 2 and 'step-00000008.pt' in msg and not flag.exists()


# ---------------------------------------------------------------------------------------------------------
# shapes datasets: damaged files are named; `data check` reads what training reads

@pytest.fixture
def shapes_copy(shapes_small, tmp_path):
    dst = tmp_path/'shapes'
    shutil.copytree(shapes_small, dst)
    return dst


def _first(root, split='train'):
    return (root/split/'filenames.txt').read_text().split()[0]


def test_truncated_png_is_named_by_check_and_by_training(capsys, shapes_copy):
    from t2i_nb.data.shapes_io import load_split
    keys = (shapes_copy/'train'/'filenames.txt').read_text().split()
    png = shapes_copy/'images'/f'{keys[7]}.png'                       # not among the 20 sampled images
    png.write_bytes(png.read_bytes()[:200])
    code, msg = t2i(capsys, 'data', 'check', 'shapes', shapes_copy, '--full')
    assert code == 1 and f'{keys[7]}.png: cannot read this image' in msg
    with pytest.raises(DataError, match=f'{keys[7]}.png'): load_split(shapes_copy, 'train')


def test_non_utf8_split_list(capsys, shapes_copy):
    from t2i_nb.data.shapes_io import load_split
    f = shapes_copy/'test'/'filenames.txt'
    f.write_bytes(f.read_bytes() + b'caf\xe9\n')
    code, msg = t2i(capsys, 'data', 'check', 'shapes', shapes_copy)
    assert code == 1 and 'filenames.txt' in msg and 'not UTF-8' in msg
    with pytest.raises(DataError, match=r"filenames.txt', line \d+: the bytes"): load_split(shapes_copy, 'test')


def test_corrupt_dataset_json(capsys, shapes_copy, tmp_path):
    (shapes_copy/'dataset.json').write_text('{"seed": 11, "size": ')
    code, msg = t2i(capsys, 'data', 'check', 'shapes', shapes_copy)
    assert code == 1 and 'dataset.json' in msg and 'not valid JSON' in msg
    code, msg = t2i(capsys, *TOY, '--run-dir', tmp_path/'run', '--data', shapes_copy, '--steps', '1')
    assert code == 2 and 'dataset.json' in msg and 'not valid JSON' in msg


def test_non_utf8_shapes_caption(shapes_copy):
    from t2i_nb.data.shapes_io import load_split
    k = _first(shapes_copy)
    (shapes_copy/'text'/f'{k}.txt').write_bytes(b'a red circle\n\xff\xfe oops\n')
    with pytest.raises(DataError, match=f"{k}.txt', line 2"): load_split(shapes_copy, 'train')


def test_corrupt_ground_truth_file(capsys, shapes_copy):
    k = _first(shapes_copy, 'test')
    (shapes_copy/'images'/f'{k}.json').write_text('{"objects": [')
    code, msg = t2i(capsys, 'data', 'check', 'shapes', shapes_copy, '--full')
    assert code == 1 and f'{k}.json' in msg and 'not valid JSON' in msg


def test_a_clean_dataset_checks_ok_and_says_what_was_read(capsys, shapes_small):
    before = snapshot(shapes_small)
    code, msg = t2i(capsys, 'data', 'check', 'shapes', shapes_small)
    assert code == 0 and 'every caption file and side file read' in msg and '--full' in msg
    assert snapshot(shapes_small) == before


# ---------------------------------------------------------------------------------------------------------
# CUB-layout fixtures: annotation files, captions and pickles

@pytest.fixture
def cub(tmp_path):
    from t2i_nb.data.fixtures import make_cub
    return make_cub(tmp_path/'birds')


def test_non_utf8_cub_images_txt(capsys, cub):
    f = cub/'CUB_200_2011'/'images.txt'
    f.write_bytes(f.read_bytes().replace(b'Bird_1', b'Bird\xe9_1', 1))
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub)
    assert code == 1 and "images.txt', line 1" in msg and 'not UTF-8' in msg


def test_malformed_bounding_box(capsys, cub):
    from t2i_nb.data.layouts import load_bboxes
    f = cub/'CUB_200_2011'/'bounding_boxes.txt'
    lines = f.read_text().splitlines(); lines[1] = lines[1].rsplit(' ', 1)[0] + ' 12,5'
    f.write_text('\n'.join(lines) + '\n')
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub)
    assert code == 1 and 'bounding_boxes.txt:2: cannot parse' in msg
    with pytest.raises(DataError, match='bounding_boxes.txt:2'): load_bboxes(cub)


def _cub_caption(cub):
    return sorted((cub/'text').rglob('*.txt'))[0]


def test_empty_cub_caption_file(capsys, cub):
    f = _cub_caption(cub); f.write_text('\n\n')
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub)
    assert code == 1 and f'{f.name}: this caption file holds no captions' in msg


def test_non_utf8_cub_caption_is_a_note_and_a_warning(capsys, cub):
    from t2i_nb.data.readers import DataWarning, T2IDataset
    f = _cub_caption(cub); f.write_bytes(b'a small bird\nthis bird is caf\xe9 coloured\n')
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub)
    assert code == 0 and f'{f.name}:2' in msg and 'not UTF-8' in msg and 'note:' in msg
    with pytest.warns(DataWarning, match=f'{f.name}:2: bytes that are not UTF-8'):
        for split in ('train', 'test'): T2IDataset(cub, 'cub', split)


def test_damaged_embeddings_pickle(capsys, cub):
    (cub/'test'/'char-CNN-RNN-embeddings.pickle').write_bytes(b'\x80\x02}q\x00(X')
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub)
    assert code == 1 and 'char-CNN-RNN-embeddings.pickle' in msg


def test_embeddings_of_another_split(capsys, cub):
    shutil.copy(cub/'train'/'char-CNN-RNN-embeddings.pickle', cub/'test'/'char-CNN-RNN-embeddings.pickle')
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub)
    assert code == 1 and 'expected (images, captions, dim)' in msg


def test_truncated_jpeg(capsys, cub):
    jpg = sorted((cub/'CUB_200_2011'/'images').rglob('*.jpg'))[-1]
    jpg.write_bytes(jpg.read_bytes()[:300])
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub, '--full')
    assert code == 1 and f'{jpg.name}: cannot read this image' in msg


def test_malicious_split_pickle_runs_no_code(capsys, cub, tmp_path):
    flag = tmp_path/'pwned'
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {flag}',))
    with open(cub/'train'/'filenames.pickle', 'wb') as f: pickle.dump(Evil(), f, protocol=2)
    code, msg = t2i(capsys, 'data', 'check', 'cub', cub)
    assert code == 1 and "refusing to unpickle the global 'posix.system'" in msg and not flag.exists()


# ---------------------------------------------------------------------------------------------------------
# evaluation: unknown metrics refused, small samples flagged, nothing dropped without a word

@pytest.fixture
def samples(tmp_path, shapes_small):
    "A samples folder of `n` real test images (with keys), and the dataset they come from."
    from t2i_nb.data.shapes_io import load_split
    from t2i_nb.eval.metrics import save_samples
    t = load_split(shapes_small, 'test', limit=12)
    def make(n, keys=True):
        d = tmp_path/f'samples{n}{"" if keys else "-nokeys"}'
        return save_samples(d, t['images'][:n], [c[0] for c in t['captions'][:n]], t['keys'][:n] if keys else None,
                            [0] * n if keys else None)
    return make


def test_eval_refuses_an_unknown_metric(capsys, samples, shapes_small, tmp_path):
    code, msg = t2i(capsys, 'eval', '--samples', samples(12), '--data', shapes_small, '--out', tmp_path/'m', '--metrics', 'fid,bogus')
    assert code == 2 and "unknown metric(s) 'bogus'" in msg and not (tmp_path/'m'/'metrics.json').exists()


def test_eval_without_captions_jsonl(capsys, shapes_small, tmp_path):
    (tmp_path/'s'/'images').mkdir(parents=True)
    code, msg = t2i(capsys, 'eval', '--samples', tmp_path/'s', '--data', shapes_small, '--out', tmp_path/'m')
    assert code == 2 and 'captions.jsonl' in msg and 'not found' in msg


def test_eval_jsonl_line_without_a_caption(capsys, samples, shapes_small, tmp_path):
    d = samples(12); f = d/'captions.jsonl'
    lines = f.read_text().splitlines(); lines[1] = json.dumps({'file': 'images/000001.png'})
    f.write_text('\n'.join(lines) + '\n')
    code, msg = t2i(capsys, 'eval', '--samples', d, '--data', shapes_small, '--out', tmp_path/'m', '--metrics', 'ms_ssim')
    assert code == 2 and 'captions.jsonl:2: each line needs a "file" and a "caption"' in msg


def test_eval_missing_sample_image(capsys, samples, shapes_small, tmp_path):
    d = samples(12); (d/'images'/'000003.png').unlink()
    code, msg = t2i(capsys, 'eval', '--samples', d, '--data', shapes_small, '--out', tmp_path/'m', '--metrics', 'ms_ssim')
    assert code == 2 and '000003.png' in msg and 'line 4' in msg


def test_eval_on_few_samples_records_caveats_and_skips(capsys, samples, shapes_small, tmp_path):
    with pytest.warns(UserWarning) as rec:
        code, msg = t2i(capsys, 'eval', '--samples', samples(5), '--data', shapes_small, '--out', tmp_path/'m',
                        '--metrics', 'fid,is,r_precision,semantic', '--n-ref', 50)
    assert code == 0, msg
    m = json.loads((tmp_path/'m'/'metrics.json').read_text())
    assert isinstance(m['fid'], float) and 'biased upward' in m['caveats'][0]
    assert set(m['skipped']) == {'is', 'r_precision'} and 'needs at least 100 samples, got 5' in m['skipped']['r_precision']
    assert 'semantic_all_correct' in m
    assert any('r_precision not computed' in str(w.message) for w in rec)


def test_eval_on_one_sample(capsys, samples, shapes_small, tmp_path):
    with pytest.warns(UserWarning, match='fid not computed'):
        code, msg = t2i(capsys, 'eval', '--samples', samples(1), '--data', shapes_small, '--out', tmp_path/'m', '--metrics', 'fid')
    assert code == 0 and 'needs at least 2' in json.loads((tmp_path/'m'/'metrics.json').read_text())['skipped']['fid']


def test_eval_semantic_without_keys_says_why(capsys, samples, shapes_small, tmp_path):
    with pytest.warns(UserWarning, match='semantic not computed'):
        code, msg = t2i(capsys, 'eval', '--samples', samples(12, keys=False), '--data', shapes_small, '--out', tmp_path/'m',
                        '--metrics', 'semantic')
    assert code == 0 and 'shapes keys' in json.loads((tmp_path/'m'/'metrics.json').read_text())['skipped']['semantic']


@pytest.mark.parametrize('args,says', [(['--device', 'gpu'], "device must be 'auto'"), (['--n-ref', '0'], 'n_ref')])
def test_eval_bad_options(capsys, samples, shapes_small, tmp_path, args, says):
    code, msg = t2i(capsys, 'eval', '--samples', samples(12), '--data', shapes_small, '--out', tmp_path/'m', *args)
    assert code == 2 and says in msg and not (tmp_path/'m'/'metrics.json').exists()


# ---------------------------------------------------------------------------------------------------------
# caches and locks

def test_edited_captions_get_new_embeddings(shapes_copy):
    "The caption-embedding cache is keyed by the captions' content, not by the dataset's parameters."
    from t2i_nb.config import make_config
    from t2i_nb.batches import load_data
    cfg = make_config('toy-shapes', {'data_root': str(shapes_copy)})
    before = load_data(cfg, 'test', limit=4)
    k = before.keys[0]
    (shapes_copy/'text'/f'{k}.txt').write_text('\n'.join(['a big green star'] * 10) + '\n')
    after = load_data(cfg, 'test', limit=4)
    assert not torch.equal(before.text['sentence'][0], after.text['sentence'][0])
    assert torch.equal(before.text['sentence'][1:], after.text['sentence'][1:])


def test_released_locks_leave_no_files(tmp_path):
    lock = tmp_path/'locks'/'a.lock'
    for _ in range(3):
        with file_lock(lock): assert lock.exists()
    assert list(lock.parent.iterdir()) == []


# ---------------------------------------------------------------------------------------------------------
# the console script and the jobs: one line, no traceback

def test_console_script_exit_codes_and_no_traceback(tmp_path):
    r = run_cli(*TOY, '--run-dir', tmp_path/'run', '--set', 'keep_last=-1', check=False)
    assert r.returncode == 2 and 'keep_last must be at least 0' in r.stderr and 'Traceback' not in r.stderr
    assert not (tmp_path/'run').exists()
    r = run_cli('eval', '--samples', tmp_path/'none', '--data', tmp_path, '--out', tmp_path/'m', check=False)
    assert r.returncode == 2 and 'samples folder not found' in r.stderr and 'Traceback' not in r.stderr


def test_train_job_bad_parameter_is_one_line(tmp_path):
    import papermill as pm
    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(str(ROOT/'nbs'/'jobs'/'train.ipynb'), str(tmp_path/'out.ipynb'), kernel_name='t2i_nb',
                            parameters=dict(run_dir=str(tmp_path/'run'), preset='toy-shapes', overrides={'keep_last': -1}),
                            cwd=str(ROOT), progress_bar=False)
    assert e.value.ename == 'T2IError' and 'keep_last must be at least 0' in e.value.evalue
    assert e.value.traceback == [f'T2IError: {e.value.evalue}']             # the message, not 40 frames
    assert not (tmp_path/'run').exists()
