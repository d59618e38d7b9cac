"""The text side is pluggable: a token-id text encoder and a recipe reading two captions per sample train through
the unchanged loop (registered here, in the test, the way a new paper's notebook would)."""
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from t2i_nb.batches import TEXT_ENCODERS, register_text_encoder
from t2i_nb.config import make_config, register_preset
from t2i_nb.recipes import Recipe, register_recipe
from t2i_nb.train import train

T = 12                                                 # token ids per caption (padded with 0)


@register_text_encoder('toy-tokens', provides=('tokens', 'lengths'), datasets=('shapes',), cache='none',
                       evaluation='none')
def toy_tokens(cfg, source, split, n):
    "Word ids from a vocabulary built on the fly (a stand-in for DAMSM's captions.pickle)."
    vocab = {}
    caps = source.captions[:n]
    K = min(len(c) for c in caps)
    ids = torch.zeros(n, K, T, dtype=torch.long); lengths = torch.zeros(n, K, dtype=torch.long)
    for i, cs in enumerate(caps):
        for k, c in enumerate(cs[:K]):
            w = [vocab.setdefault(x, len(vocab) + 1) for x in c.lower().split()][:T]
            ids[i, k, :len(w)] = torch.tensor(w); lengths[i, k] = len(w)
    return {'tokens': ids, 'lengths': lengths}


class BagText(nn.Module):
    "Mean of word embeddings over the caption's length: a sentence vector from token ids."
    def __init__(self, dim=16): super().__init__(); self.emb = nn.Embedding(512, dim, padding_idx=0)
    def forward(self, tokens, lengths): return self.emb(tokens % 512).sum(-2) / lengths.clamp_min(1)[..., None]


SEEN = []


@register_recipe('toy-two-captions')
class TwoCaptions(Recipe):
    "A text encoder trained so that two captions of the same image agree (NT-Xent), and a tiny G/D pair."
    text = ('tokens', 'lengths')
    def __init__(self, cfg, device='cpu'):
        super().__init__(cfg, device)
        torch.manual_seed(cfg.seed)
        self.noise = {'z': (8,)}
        self.models = {'G': nn.Sequential(nn.Linear(24, 3 * 16 * 16), nn.Tanh()), 'T': BagText()}
    def generate(self, text, noise, G=None):
        s = self.models['T'](text['tokens'], text['lengths'])
        return (G or self.G)(torch.cat([s, noise['z']], 1)).view(-1, 3, 16, 16)
    def train_step(self, b, step):
        SEEN.append({k: tuple(v.shape) for k, v in b['other_text'].items()})
        a = F.normalize(self.models['T'](b['text']['tokens'], b['text']['lengths']), dim=1)
        o = F.normalize(self.models['T'](b['other_text']['tokens'][:, 0], b['other_text']['lengths'][:, 0]), dim=1)
        nt_xent = F.cross_entropy(a @ o.T / 0.5, torch.arange(len(a)))
        self.update('T', nt_xent)
        fake = self.generate(b['text'], b['noise'])
        g_loss = (fake - b['image']).abs().mean()
        self.update('G', g_loss)
        return dict(nt_xent=nt_xent.detach(), g_loss=g_loss.detach())


register_preset('toy-two-captions-shapes', model='toy-two-captions', dataset='shapes', text_encoder='toy-tokens',
                image_size=16, batch_size=8, steps=2, captions_per_sample=2, log_every=1, n_grid=4, model_cfg={})


def test_token_encoder_and_two_captions_train_through_the_loop(tmp_path, shapes_small):
    assert TEXT_ENCODERS['toy-tokens'].provides == ('tokens', 'lengths')
    cfg = make_config('toy-two-captions-shapes', {'data_root': str(shapes_small)})
    SEEN.clear()
    out = train(cfg, tmp_path/'run', progress=False)
    assert out['step'] == 2 and len(SEEN) == 2
    assert SEEN[0] == {'tokens': (8, 1, T), 'lengths': (8, 1)}              # the second caption of each sample
    log = [json.loads(l) for l in (tmp_path/'run'/'log.jsonl').read_text().splitlines()]
    assert [r['step'] for r in log] == [1, 2] and all(r['nt_xent'] > 0 for r in log)
    assert (tmp_path/'run'/'samples'/'step-00000002.png').exists()          # generate() with token ids, in the grid


def test_a_recipe_refuses_an_encoder_without_what_it_reads(tmp_path, shapes_small):
    from t2i_nb.core import T2IError
    cfg = make_config('toy-two-captions-shapes', {'data_root': str(shapes_small), 'text_encoder': 'mini-clip'})
    with pytest.raises(T2IError, match=r"reads \['tokens', 'lengths'\] from the text, but text_encoder 'mini-clip' provides only \['sentence'\]"):
        train(cfg, tmp_path/'run', progress=False)
    assert not (tmp_path/'run'/'checkpoints').exists()
    with pytest.raises(T2IError, match="text_encoder must be one of"):
        make_config('toy-two-captions-shapes', {'text_encoder': 'bert'})


def test_clip_text_cache_follows_the_weights_files_bytes(tmp_path, monkeypatch):
    "A local CLIP weights file that is replaced (same path, other bytes) must not reuse the old sentence features."
    import t2i_nb.batches as batches, t2i_nb.clip as clip
    from types import SimpleNamespace
    seen = []
    monkeypatch.setattr(clip, 'load_clip', lambda name, pre: None)
    monkeypatch.setattr(batches, 'caption_embeddings', lambda caps, model, cache, normalize: seen.append(cache) or {})
    monkeypatch.setenv('T2I_RUNS', str(tmp_path/'runs'))
    weights = tmp_path/'ViT-B-32.pt'
    cfg = SimpleNamespace(dataset='cub', model_cfg={'clip_name': 'ViT-B-32', 'clip_pretrained': str(weights)})
    src = SimpleNamespace(captions=[['a bird']])
    encode = TEXT_ENCODERS['clip'].encode
    for data in (b'one', b'one', b'two'):
        weights.write_bytes(data); encode(cfg, src, 'train', 1)
    assert seen[0] == seen[1] != seen[2]                                   # same bytes: same cache; new bytes: new one
    cfg.model_cfg['clip_pretrained'] = 'openai'; encode(cfg, src, 'train', 1)
    assert seen[3] not in seen[:3]                                         # a tag is keyed by its name
    cfg.model_cfg['clip_pretrained'] = None; encode(cfg, src, 'train', 1)
    assert seen[4] is None                                                 # a random CLIP is never cached
