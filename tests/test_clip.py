"""t2i_nb.clip: the CLIP loader (offline errors, random init, checkpoints) and the committed mini-CLIP."""
import os, time

import pytest
import torch

from t2i_nb.clip import MINI_CLIP, load_clip, mini_clip_path, save_clip_checkpoint
from t2i_nb.clipmodels import MINI_CLIP_NAME, register_clip_config
from t2i_nb.miniclip import MiniClipTrainConfig, fit_clip
from t2i_nb.probes import make_foil
from t2i_nb.core import DataError, MissingFileError, to_float
from t2i_nb.data.shapes_io import load_split, make_shapes

TINY = 't2i-test-tiny-clip'
TINY_CFG = dict(embed_dim=32, quick_gelu=False,
                vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=1, head_width=32),
                text_cfg=dict(context_length=40, vocab_size=49408, width=32, heads=2, layers=1))


@pytest.fixture(scope='module')
def shapes_tiny(tmp_path_factory):
    "40 shapes images from a seed the mini-CLIP never saw (it was trained on seed 0)."
    return make_shapes(tmp_path_factory.mktemp('clip')/'shapes', n_images=40, seed=5, workers=1)


def test_offline_missing_weights_fail_fast(tmp_path, monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    t0 = time.time()
    with pytest.raises(MissingFileError) as e:
        load_clip('ViT-B-32', pretrained='openai', cache_dir=tmp_path)
    assert time.time() - t0 < 5
    msg = str(e.value)
    assert str(tmp_path/'models--timm--vit_base_patch32_clip_224.openai') in msg       # the exact cache folder
    assert 'open_clip_model.safetensors' in msg and str(tmp_path/'ViT-B-32.pt') in msg
    assert "open_clip.create_model_and_transforms('ViT-B-32', pretrained='openai'" in msg  # how to fetch them


def test_random_init_gives_normalised_features():
    register_clip_config(TINY, TINY_CFG)
    clip = load_clip(TINY, pretrained=None)
    assert (clip.image_size, clip.embed_dim, clip.context_length) == (32, 32, 40)
    x = (torch.rand(3, 3, 50, 70) * 2 - 1).requires_grad_()                   # any size goes in
    f = clip.encode_images(x)
    assert f.shape == (3, 32) and torch.allclose(f.norm(dim=-1), torch.ones(3), atol=1e-5)
    f.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0                        # gradients reach the images
    assert not any(p.requires_grad for p in clip.model.parameters())           # CLIP itself is frozen
    t = clip.encode_texts(['a red circle', 'a big blue square to the left of a tiny red disc', ''])
    assert t.shape == (3, 32) and torch.allclose(t.norm(dim=-1), torch.ones(3), atol=1e-5)
    with pytest.raises(DataError, match=r'\[-1, 1\]'):
        clip.encode_images(torch.full((1, 3, 32, 32), 200.0))


def test_mini_clip_prefers_the_true_caption(shapes_tiny):
    path = mini_clip_path()
    assert path.is_file() and path.stat().st_size < 15 * 2**20
    clip = load_clip(pretrained=MINI_CLIP)
    assert clip.name == MINI_CLIP_NAME and clip.meta['metrics']['image→caption']['mean'] > 0.7
    data = load_split(shapes_tiny, 'train', limit=16)
    with torch.no_grad():
        S = clip.similarity(to_float(data['images']), [c[0] for c in data['captions']])
    assert (S.argmax(1) == torch.arange(16)).float().mean() >= 0.75, S.argmax(1)
    # the true caption beats the same caption with a wrong colour
    import random
    rng, wins = random.Random(0), []
    for i in range(16):
        foil = make_foil(data['captions'][i][0], data['truth'][i], 'colour', rng)
        with torch.no_grad():
            s = clip.similarity(to_float(data['images'][i:i + 1]), [data['captions'][i][0], foil])[0]
        wins.append(bool(s[0] > s[1]))
    assert sum(wins) >= 12, wins


def test_checkpoint_of_another_config_is_a_clear_error(tmp_path, monkeypatch):
    register_clip_config(TINY, TINY_CFG)
    tiny = load_clip(TINY, pretrained=None)
    ck = save_clip_checkpoint(tiny.model, tmp_path/'tiny.pt', TINY, TINY_CFG, meta=dict(note='test'))
    assert load_clip(TINY, pretrained=str(ck)).meta['note'] == 'test'                 # round trip
    with pytest.raises(DataError, match=f"holds a '{TINY}' model"):
        load_clip(MINI_CLIP_NAME, pretrained=str(ck))
    torch.save(tiny.model.state_dict(), tmp_path/'plain.pt')                         # a bare state dict
    with pytest.raises(DataError, match="is not a checkpoint of the 'ViT-B-32' architecture"):
        load_clip('ViT-B-32', pretrained=str(tmp_path/'plain.pt'))
    (tmp_path/'broken.pt').write_bytes(b'not a torch file')
    with pytest.raises(DataError, match='corrupt'):
        load_clip(TINY, pretrained=str(tmp_path/'broken.pt'))
    monkeypatch.setenv('T2I_MINI_CLIP', str(tmp_path/'absent.pt'))
    with pytest.raises(MissingFileError, match='absent.pt'):
        load_clip(pretrained=MINI_CLIP)


def test_a_few_training_steps_reduce_the_loss(shapes_tiny):
    register_clip_config(TINY, TINY_CFG)
    torch.manual_seed(0)
    model = load_clip(TINY, pretrained=None, frozen=False).model
    data = load_split(shapes_tiny, 'train')
    before = model.token_embedding.weight.detach().clone()
    hist = fit_clip(model, data, MiniClipTrainConfig(steps=30, batch_size=16, lr=2e-3, warmup=3, log_every=5))
    assert hist[-1][1] < 0.9 * hist[0][1], hist
    # only the rows of tokens the captions use were trained; the others are zero (and left out on disk)
    rows = model.token_embedding.weight.abs().sum(1).nonzero().flatten()
    assert 20 < len(rows) < 100 and not torch.equal(model.token_embedding.weight[rows], before[rows])


def test_hard_negative_training_runs(shapes_tiny):
    register_clip_config(TINY, TINY_CFG)
    model = load_clip(TINY, pretrained=None, frozen=False).model
    data = load_split(shapes_tiny, 'train')
    hist = fit_clip(model, data, MiniClipTrainConfig(steps=4, batch_size=16, hard_negatives=0.5, log_every=2))
    assert len(hist) == 2 and all(h[1] > 0 for h in hist)


def test_cached_open_clip_weights_are_used_offline(tmp_path, monkeypatch):
    "A weight file where open_clip's Hub download would put it is found and loaded, with no network."
    from safetensors.torch import save_file
    from t2i_nb.clipmodels import create_clip_model
    ref = create_clip_model('ViT-B-32-quickgelu').eval()
    f = tmp_path/'models--timm--vit_base_patch32_clip_224.openai'/'snapshots'/'0123abc'/'open_clip_model.safetensors'
    f.parent.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, str(f))
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    clip = load_clip('ViT-B-32', pretrained='openai', cache_dir=tmp_path)
    assert clip.meta['weights'] == str(f) and (clip.image_size, clip.embed_dim) == (224, 512)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(clip.encode_images(x), ref.encode_image(clip.preprocess(x), normalize=True), atol=1e-5)
