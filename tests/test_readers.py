"""The dataset readers on tiny fixtures in every real layout, and every kind of bad input."""
import os, pickle, warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from t2i_nb.core import DataError, MissingFileError
from t2i_nb.data.fixtures import (cub_box, dump_py2_pickle, make_celeba_tiny, make_coco, make_cub, make_oxford,
                                  make_shapes_layout)
from t2i_nb.data.layouts import LAYOUTS, crop_bbox, load_bboxes, load_pickle
from t2i_nb.data.readers import DataWarning, T2IDataset, check_layout, collate, words

# fixture label -> (dataset name, maker, captions per image, class ids expected, number of train images)
CASES = {
    'shapes': ('shapes', make_shapes_layout, 10, True, 2),
    'cub': ('cub', make_cub, 10, True, 4),
    'cub-text_c10': ('cub', lambda p: make_cub(p, text_folder='text_c10', with_embeddings=False), 10, True, 4),
    'oxford': ('oxford', make_oxford, 10, False, 3),
    'oxford-stackgan': ('oxford', lambda p: make_oxford(p, 'stackgan'), 10, True, 3),
    'coco': ('coco', make_coco, 5, False, 4),
    'coco-jpg': ('coco', lambda p: make_coco(p, jpg_subfolder=True), 5, False, 4),
    'celeba-tiny': ('celeba-tiny', make_celeba_tiny, 10, False, 3),
}


def test_layout_names():
    assert sorted(LAYOUTS) == ['celeba-tiny', 'coco', 'cub', 'oxford', 'shapes']
    assert all(l.source and l.title for l in LAYOUTS.values())


@pytest.mark.parametrize('case', CASES)
def test_each_layout_reads(tmp_path, case):
    name, make, n_caps, has_classes, n_train = CASES[case]
    root = make(tmp_path/case)
    assert check_layout(name, root) == []
    ds = T2IDataset(root, name, 'train', image_size=24, caption_mode='all')
    assert len(ds.keys) == n_train and len(ds) == n_train * n_caps
    it = ds[n_caps + 1]
    assert set(it) == {'image', 'caption_idx', 'caption', 'tokens', 'class_id', 'key'}
    assert it['image'].shape == (3, 24, 24) and it['image'].dtype == torch.float32
    assert -1 <= it['image'].min() < it['image'].max() <= 1
    assert it['caption_idx'] == 1 and it['key'] == ds.keys[1]
    caps = (ds.layout.text(root, 'train', ds.keys[1])).read_text().splitlines()
    assert it['caption'] == caps[1] and it['tokens'] == words(caps[1]) == caps[1].lower().split()
    assert isinstance(it['class_id'], int) and (it['class_id'] > 0) == has_classes
    if not has_classes: assert {ds[i]['class_id'] for i in range(len(ds))} == {-1}
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=3, collate_fn=collate, num_workers=0)))
    assert batch['image'].shape == (3, 3, 24, 24) and batch['class_id'].dtype == torch.long
    assert batch['caption_idx'].tolist() == [0, 1, 2] and len(batch['caption']) == 3 and isinstance(batch['tokens'][0], list)
    test = T2IDataset(root, name, 'test', caption_mode='first')
    assert len(test) == len(test.keys) and all(test[i]['caption_idx'] == 0 for i in range(len(test)))
    assert not set(test.keys) & set(ds.keys)


def test_class_ids(tmp_path):
    cub = T2IDataset(make_cub(tmp_path/'b', with_embeddings=False), 'cub', 'train')
    assert cub.class_ids == [1, 1, 2, 2]                                   # from the folder prefix
    sg = make_oxford(tmp_path/'o', 'stackgan')
    dump_py2_pickle([7, 8, 9], sg/'train'/'class_info.pickle')
    assert T2IDataset(sg, 'oxford', 'train').class_ids == [7, 8, 9]        # class_info.pickle wins
    assert T2IDataset(make_shapes_layout(tmp_path/'s'), 'shapes', 'train').class_ids == [3, 29]


def test_random_caption_mode_is_deterministic(tmp_path):
    root = make_celeba_tiny(tmp_path/'f')
    a, b = T2IDataset(root, 'celeba-tiny', seed=1), T2IDataset(root, 'celeba-tiny', seed=1)
    first = [a[i]['caption_idx'] for i in range(len(a))]
    assert first == [a[i]['caption_idx'] for i in range(len(a))] == [b[i]['caption_idx'] for i in range(len(b))]
    seen = set()
    for e in range(8):
        a.set_epoch(e); seen.add(tuple(a[i]['caption_idx'] for i in range(len(a))))
    assert len(seen) > 1
    assert [T2IDataset(root, 'celeba-tiny', seed=s)[0]['caption_idx'] for s in range(10)] != [first[0]] * 10


def test_bbox_crop(tmp_path):
    # box (8, 6, 24, 16) in 48x36: centre (20, 14), r = int(0.75 * 24) = 18 -> (2, -4, 38, 32) clipped to (2, 0, 38, 32)
    assert crop_bbox((8, 6, 24, 16), 48, 36) == (2, 0, 38, 32)
    # box (100, 100, 40, 20) in 500x400: centre (120, 110), r = 30 -> (90, 80, 150, 140)
    assert crop_bbox((100.0, 100.0, 40.0, 20.0), 500, 400) == (90, 80, 150, 140)
    # odd sizes: box (3, 5, 11, 7) in 30x30: centre (int(8.5), int(8.5)) = (8, 8), r = int(8.25) = 8 -> (0, 0, 16, 16)
    assert crop_bbox((3, 5, 11, 7), 30, 30) == (0, 0, 16, 16)
    root = make_cub(tmp_path/'b', with_embeddings=False)
    assert load_bboxes(root)['001.Bird_1/Bird_1_0002_102'] == list(cub_box(2))
    ds = T2IDataset(root, 'cub', 'train', caption_mode='first')
    # train image 0 is j=1: 56x36, box (10, 6, 24, 18): centre (22, 15), r = 18 -> (4, 0, 40, 33)
    assert crop_bbox(cub_box(1), 56, 36) == (4, 0, 40, 33)
    full = np.asarray(Image.open(root/'CUB_200_2011'/'images'/'001.Bird_1'/'Bird_1_0001_101.jpg').convert('RGB'))
    crop = ds[0]['image']
    assert crop.shape == (3, 33, 36)
    assert torch.allclose(crop, torch.from_numpy(full[0:33, 4:40].copy()).permute(2, 0, 1).float() / 127.5 - 1)
    assert T2IDataset(root, 'cub', 'train', bbox_crop=False)[0]['image'].shape == (3, 36, 56)
    assert T2IDataset(root, 'cub', 'train', image_size=16)[0]['image'].shape == (3, 16, 16)
    with pytest.raises(DataError, match='only for cub'):
        T2IDataset(make_coco(tmp_path/'c'), 'coco', bbox_crop=True)


def test_embeddings(tmp_path):
    root = make_cub(tmp_path/'b')
    raw = np.asarray(load_pickle(root/'train'/'char-CNN-RNN-embeddings.pickle'))
    assert raw.shape == (4, 10, 1024) and raw.dtype == np.float32
    ds = T2IDataset(root, 'cub', 'train', load_embeddings=True, caption_mode='all')
    it = ds[23]                                                            # image 2, caption 3
    assert it['embedding'].shape == (1024,) and it['embedding'].dtype == torch.float32
    assert torch.equal(it['embedding'], torch.from_numpy(raw[2, 3]))
    b = collate([ds[0], ds[1]])
    assert b['embedding'].shape == (2, 1024)
    with pytest.raises(MissingFileError, match='char-CNN-RNN-embeddings.pickle'):
        T2IDataset(make_coco(tmp_path/'c'), 'coco', load_embeddings=True)
    dump_py2_pickle(np.zeros((1, 10, 1024), np.float32), root/'train'/'char-CNN-RNN-embeddings.pickle')
    with pytest.raises(DataError, match='different downloads'):
        T2IDataset(root, 'cub', 'train', load_embeddings=True)


def test_py2_and_py3_pickles(tmp_path):
    arr = np.arange(24, dtype=np.float32).reshape(1, 3, 8)
    dump_py2_pickle([arr, '001.Black_footed_Albatross/x_1', 'naïve', 3, {'k': (1.5, None)}], tmp_path/'p2.pickle')
    a, s, u, i, d = load_pickle(tmp_path/'p2.pickle')
    assert np.array_equal(a, arr) and a.dtype == np.float32
    assert (s, u, i, d) == ('001.Black_footed_Albatross/x_1', 'naïve', 3, {'k': (1.5, None)})
    (tmp_path/'p3.pickle').write_bytes(pickle.dumps({b'key': [b'001.A/b', np.int64(5)]}, protocol=2))
    assert load_pickle(tmp_path/'p3.pickle') == {'key': ['001.A/b', 5]}
    # Python 2's default (text, protocol 0) pickle of a list of str, as cPickle.dump wrote it
    (tmp_path/'p0.pickle').write_bytes(b"(lp0\nS'001.Black_footed_Albatross/Black_Footed_Albatross_0046_18'\np1\naS'002.B/c'\np2\na.")
    assert load_pickle(tmp_path/'p0.pickle') == ['001.Black_footed_Albatross/Black_Footed_Albatross_0046_18', '002.B/c']
    (tmp_path/'bad.pickle').write_bytes(b'\x80\x02garbage')
    with pytest.raises(DataError, match='bad.pickle: not a readable pickle'):
        load_pickle(tmp_path/'bad.pickle')


def test_filenames_txt_accepted_for_any_layout(tmp_path):
    root = make_coco(tmp_path/'c')
    keys = load_pickle(root/'train'/'filenames.pickle')
    (root/'train'/'filenames.pickle').unlink()
    (root/'train'/'filenames.txt').write_text('\n'.join(keys[:2]) + '\n')
    assert T2IDataset(root, 'coco', 'train').keys == keys[:2]


def test_shapes_ground_truth(tmp_path):
    ds = T2IDataset(make_shapes_layout(tmp_path/'s'), 'shapes', 'heldout', caption_mode='all')
    gt = ds.ground_truth(5)
    assert gt['key'] == ds.keys[0] == '016.green_circle/shapes_000003' and gt['objects'][0]['shape'] == 'circle'
    assert T2IDataset(make_celeba_tiny(tmp_path/'f'), 'celeba-tiny').ground_truth(0) is None


def test_real_shapes_generator_if_present(tmp_path):
    shapes = pytest.importorskip('t2i_nb.data.shapes_io')
    root = shapes.make_shapes(tmp_path/'shapes', 30, size=32, workers=1)
    assert check_layout('shapes', root) == []
    ds = T2IDataset(root, 'shapes', 'train', caption_mode='all')
    assert len(ds) == 10 * len(ds.keys) and ds[0]['image'].shape == (3, 32, 32)
    assert ds.ground_truth(0)['key'] == ds.keys[0]


# ---- bad input -------------------------------------------------------------------------------------

def test_missing_root(tmp_path):
    with pytest.raises(MissingFileError, match=r"nothing'.*t2i data check cub .*nothing") as e:
        T2IDataset(tmp_path/'nothing', 'cub')
    assert 'datasets/README.md' in str(e.value) and 'CUB-200-2011' in str(e.value)
    assert 'not found' in check_layout('cub', tmp_path/'nothing')[0]


def test_missing_split_file(tmp_path):
    root = make_coco(tmp_path/'coco'); (root/'test'/'filenames.pickle').unlink()
    with pytest.raises(MissingFileError, match=r'test/filenames.pickle.*t2i data check coco') as e:
        T2IDataset(root, 'coco', 'test')
    assert 'datasets/README.md' in str(e.value)
    assert any('test/filenames.pickle' in p for p in check_layout('coco', root))


def test_missing_caption_file(tmp_path):
    root = make_oxford(tmp_path/'o'); (root/'text'/'image_00002.txt').unlink()
    with pytest.raises(MissingFileError, match=r'text/image_00002.txt'):
        T2IDataset(root, 'oxford', 'train')
    problems = check_layout('oxford', root)
    assert len(problems) == 1 and 'image_00002.txt' in problems[0] and 'datasets/README.md' in problems[0]


def test_empty_caption_line_warns_with_file_and_line(tmp_path):
    root = make_celeba_tiny(tmp_path/'f')
    (root/'text'/'0.txt').write_text('first caption\n   \nthird caption\n\n\n')
    with pytest.warns(DataWarning, match=r'text/0.txt:2: empty caption line') as rec:
        ds = T2IDataset(root, 'celeba-tiny', 'train')
    assert len([w for w in rec if issubclass(w.category, DataWarning)]) == 1      # trailing blank lines are silent
    assert ds.captions[0] == ['first caption', 'third caption']
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        T2IDataset(make_celeba_tiny(tmp_path/'g'), 'celeba-tiny', 'train')          # a clean dataset warns nothing


def test_empty_caption_file(tmp_path):
    root = make_celeba_tiny(tmp_path/'f')
    (root/'text'/'1.txt').write_text('\n\n')
    with pytest.raises(DataError, match=r'text/1.txt: this caption file holds no captions'):
        T2IDataset(root, 'celeba-tiny', 'train')


def test_corrupt_image(tmp_path):
    root = make_cub(tmp_path/'b', with_embeddings=False)
    bad = root/'CUB_200_2011'/'images'/'001.Bird_1'/'Bird_1_0001_101.jpg'
    bad.write_bytes(os.urandom(200))
    ds = T2IDataset(root, 'cub', 'train')                                  # images are read lazily
    with pytest.raises(DataError, match=r'Bird_1_0001_101.jpg: cannot read this image.*download it again.*t2i data check cub'):
        ds[0]
    assert [p for p in check_layout('cub', root) if 'Bird_1_0001_101.jpg' in p and 'cannot read' in p]


def test_overlong_captions_truncated_with_one_warning(tmp_path):
    root = make_celeba_tiny(tmp_path/'f')
    (root/'text'/'0.txt').write_text(' '.join(['word'] * 30) + '\nshort one\n' + ' '.join(['x'] * 19) + '\n')
    n = 3 + 10 + 10
    with pytest.warns(DataWarning, match=rf'^2 of {n} captions are longer than max_words=18 and were truncated to their first 18 words') as rec:
        ds = T2IDataset(root, 'celeba-tiny', 'train', max_words=18, caption_mode='all')
    assert len(rec) == 1
    assert len(ds[0]['tokens']) == 18 and ds[0]['caption'] == ' '.join(['word'] * 30) and ds[1]['tokens'] == ['short', 'one']


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, capfd):
    marker = tmp_path/'hacked'
    class Evil:
        def __reduce__(self): return (os.system, (f'echo hacked; echo hacked > {marker}',))
    root = make_coco(tmp_path/'c')
    (root/'train'/'filenames.pickle').write_bytes(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(DataError, match=r"filenames.pickle: refusing to unpickle the global '(posix|nt|os)\.system'"):
        T2IDataset(root, 'coco', 'train')
    assert not marker.exists() and 'hacked' not in capfd.readouterr().out
    assert any('refusing to unpickle' in p for p in check_layout('coco', root))
    assert not marker.exists()


def test_check_layout_names_deleted_files(tmp_path):
    root = make_cub(tmp_path/'b')
    assert check_layout('cub', root) == []
    (root/'CUB_200_2011'/'images'/'002.Bird_2'/'Bird_2_0001_101.jpg').unlink()
    (root/'CUB_200_2011'/'bounding_boxes.txt').unlink()
    problems = check_layout('cub', root)
    assert any('Bird_2_0001_101.jpg: image missing' in p for p in problems)
    assert any('bounding_boxes.txt: missing' in p for p in problems)
    assert all('datasets/README.md' in p for p in problems)
    assert check_layout('imagenet', root)[0].startswith("unknown dataset 'imagenet'")


# ---- the lazy reader in a training run -------------------------------------------------------------

def test_lazy_reader_trains_like_in_memory_on_coco(tmp_path, monkeypatch):
    "2 steps of galip-shapes' model on the COCO fixture: reading images lazily with 2 workers logs the in-memory losses."
    from t2i_nb.config import make_config
    from t2i_nb import train as train_mod
    from t2i_nb.train import Trainer, read_log, train
    monkeypatch.setenv('T2I_RUNS', str(tmp_path/'runs'))                  # the CLIP sentence cache of the fixture's captions
    monkeypatch.setattr(train_mod, 'plot_losses', lambda *a, **k: None)   # the plots and the grid: 6 s, not the subject
    monkeypatch.setattr(Trainer, 'sample_grid', lambda self: None)
    from t2i_nb.lazydata import LazyTextImageData
    steps, fetch = [], LazyTextImageData._prefetched                       # which steps came from the workers
    monkeypatch.setattr(LazyTextImageData, '_prefetched', lambda self, step, *a: steps.append(step) or fetch(self, step, *a))
    torch.set_num_threads(1)
    root = make_coco(tmp_path/'coco')
    over = dict(dataset='coco', data_root=str(root), text_encoder='clip', batch_size=2, steps=2, log_every=1, n_grid=2,
                sample_every=0, ckpt_every=0, device='cpu', seed=3)
    logs = {}
    for lazy in (False, True):
        cfg = make_config('galip-shapes', over | {'lazy_images': lazy, 'data_workers': 2 * lazy})
        train(cfg, tmp_path/f'run-{lazy}', resume='none', progress=False)
        logs[lazy] = read_log(tmp_path/f'run-{lazy}').drop(columns=['sec_per_step']).to_dict('records')
    assert len(logs[True]) == 2 and {'d_loss', 'g_loss'} <= set(logs[True][0])
    assert logs[True] == logs[False]
    assert steps == [0, 1]
