"""The shapes dataset across modules: determinism, stanza-readable parses, held-out compositions."""
import hashlib, json, re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from stanza.utils.conll import CoNLL

from t2i_nb.data.shapes import HELD_OUT, INVERSE, SYNONYMS, check_tree
from t2i_nb.data.shapes_io import make_shapes, tree_hash
from conftest import run_cli


def alt(words): return '(?:' + '|'.join(words) + ')'


def content_hash(root):
    "Hash of every text file's bytes and every PNG's decoded pixels (PNG bytes depend on the zlib build)."
    h = hashlib.sha256()
    for p in sorted(Path(root).rglob('*')):
        if not p.is_file(): continue
        h.update(str(p.relative_to(root)).encode())
        h.update(np.asarray(Image.open(p)).tobytes() if p.suffix == '.png' else p.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes(tmp_path, shapes_small):
    again = tmp_path/'again'
    run_cli('data', 'shapes', '--out', again, '--n-images', 300, '--seed', 11, '--workers', 1)
    assert tree_hash(again) == tree_hash(shapes_small)           # byte-identical, whatever the worker count
    other = make_shapes(tmp_path/'other', 300, seed=12)
    assert tree_hash(other) != tree_hash(shapes_small)


# The content of `make_shapes(n_images=40, seed=0)`. It changes only when the generator changes on
# purpose (grammar, palette, layout): then update it and say so in the commit, since every dataset
# a user generated before is no longer reproducible by the new code.
GOLDEN_40 = '4b379c6ab4cd3be04b4ada6ba8a0a72142b8c90733f9d121553e0914663c4a7f'
# 2026-11-30, version 2: the gold parse of "a red disc is big" hangs "a" and "red" from the noun (only .conllu files
# and dataset.json changed: on 200 images, 63 of 200 parse files; images and captions are byte-identical).
# 2026-11-29: dataset.json records the curriculum level (images and captions unchanged).


def test_golden_content(tmp_path):
    assert content_hash(make_shapes(tmp_path/'s', 40, seed=0, workers=1)) == GOLDEN_40


def test_every_caption_parses_in_stanza(shapes_small):
    keys = [k for s in ('train', 'test', 'heldout') for k in (shapes_small/s/'filenames.txt').read_text().split()]
    assert len(keys) == 300
    n = 0
    for k in keys:
        caps = (shapes_small/'text'/f'{k}.txt').read_text().splitlines()
        doc = CoNLL.conll2doc(input_file=str(shapes_small/'text'/f'{k}.conllu'))
        assert [s.text for s in doc.sentences] == caps, k
        for i, sent in enumerate(doc.sentences):
            heads = [w.head for w in sent.words]
            assert sum(h == 0 for h in heads) == 1, (k, i)                   # one root
            assert all(0 <= h <= len(heads) for h in heads), (k, i)         # heads in range
            check_tree(heads)                                                 # and no cycles
            assert all(w.upos and w.deprel for w in sent.words)
            n += 1
    assert n == 3000


def test_ground_truth_matches_captions_and_splits(shapes_small):
    meta = json.loads((shapes_small/'dataset.json').read_text())
    assert meta['splits'] == {'train': 225, 'test': 45, 'heldout': 30}
    for split in ('train', 'test', 'heldout'):
        for k in (shapes_small/split/'filenames.txt').read_text().split():
            t = json.loads((shapes_small/'images'/f'{k}.json').read_text())
            pairs = {(o['colour'], o['shape']) for o in t['objects']}
            if split == 'heldout': assert (t['objects'][0]['colour'], t['objects'][0]['shape']) in HELD_OUT
            else: assert not pairs & set(HELD_OUT), k
            assert k.split('/')[0].split('.', 1)[1] == f"{t['objects'][0]['colour']}_{t['objects'][0]['shape']}"
            truth = {(x['subject'], x['relation'], x['object']) for x in t['relations']}
            for c in t['captions']:
                words = set(c['text'].replace(',', ' ').split())
                for i, r, j in c['relations']:                        # every stated relation is true
                    assert (i, r, j) in truth or (j, INVERSE[r], i) in truth, (k, c['text'])
                for m in c['objects']:                                # every mentioned attribute is in the words
                    o = t['objects'][m['index']]
                    assert words & set(SYNONYMS.get(o['colour'], (o['colour'],))), (k, c['text'])
                    assert words & set(SYNONYMS[o['shape']]), (k, c['text'])
                    col, shp, siz = (alt(SYNONYMS.get(w, (w,))) for w in (o['colour'], o['shape'], o['size']))
                    with_size = rf'\b{siz} {col} {shp}\b|\b{col} {shp} is {siz}\b'
                    without = rf'\ban? {col} {shp}\b'
                    assert bool(re.search(with_size if m['size'] else without, c['text'])), (k, c['text'], m)
                if c['background']: assert words & set(SYNONYMS.get(t['background'], (t['background'],)))


def test_curriculum_level_through_the_cli(tmp_path):
    out = tmp_path/'centred'
    r = run_cli('data', 'shapes', '--out', out, '--n-images', 60, '--seed', 3, '--level', 'centred')
    assert 'centred' in r.stdout
    meta = json.loads((out/'dataset.json').read_text())
    assert meta['level'] == 'centred' and meta['level_spec']['n_objects'] == [1]
    truths = [json.loads(p.read_text()) for p in (out/'images').rglob('*.json')]
    assert len(truths) == 60 and all(len(t['objects']) == 1 and not t['relations'] for t in truths)
    assert all(abs(t['objects'][0]['cx'] - .5) <= .1 and abs(t['objects'][0]['cy'] - .5) <= .1 for t in truths)
    held = [t for t in truths if t['split'] == 'heldout']
    assert held and all((t['objects'][0]['colour'], t['objects'][0]['shape']) in HELD_OUT for t in held)
    r = run_cli('data', 'shapes', '--out', out, '--n-images', 60, '--seed', 3, check=False)     # another level there
    assert r.returncode == 2 and "'level': 'centred'" in r.stderr and 'Traceback' not in r.stderr
    run_cli('data', 'card', out, '--out', tmp_path/'card')
    assert 'level `centred`' in (tmp_path/'card'/'card.md').read_text()
