"""HSPC-GAN concept mining (nbs/40_hspc.concepts) through the `t2i` command line."""
import json, os

import pytest

from conftest import run_cli
from t2i_nb.core import MissingFileError
from t2i_nb.data.shapes import SYNONYMS, make_item
from t2i_nb.hspc.concepts import read_conllu

WORD = {w: k for k, ws in SYNONYMS.items() for w in ws}
canon = lambda w: WORD.get(w, w)


def _three_object_item():
    return next(it for i in range(50) if len((it := make_item(i, 'test'))['truth']['objects']) == 3)


def test_concepts_cli_matches_the_shapes_ground_truth(tmp_path):
    it = _three_object_item()
    f = tmp_path/'caption.conllu'; f.write_text(it['conllu'])
    lines = [json.loads(l) for l in run_cli('concepts', '--conllu', f).stdout.splitlines()]
    truth = it['truth']; objs = truth['objects']
    assert [l['text'] for l in lines] == it['captions']
    for l, m in zip(lines, truth['captions']):
        assert set(l) == {'text', 'entities', 'attributes', 'relations'}
        shapes = [canon(e) for e in l['entities'] if canon(e) in SYNONYMS and e not in ('background',)]
        assert {objs[o['index']]['shape'] for o in m['objects']} == set(shapes), l
        attrs = {(canon(e), canon(a)) for e, a in l['attributes']}
        for o in m['objects']:
            ob = objs[o['index']]
            assert (ob['shape'], ob['colour']) in attrs, (l, ob)
            if o['size']: assert (ob['shape'], ob['size']) in attrs, (l, ob)
        if m['background']: assert ('background', truth['background']) in attrs
        spatial = {(canon(h), canon(r), canon(t)) for h, r, t in l['relations']
                   if canon(r) in ('left of', 'right of', 'above', 'below')}
        assert spatial == {(objs[i]['shape'], r, objs[j]['shape']) for i, r, j in m['relations']}, l


GEORGE = """# text = George Johnson rides a red bike in Stanford .
1\tGeorge\tGeorge\tPROPN\tNNP\t_\t3\tnsubj\t_\tNER=B-PERSON
2\tJohnson\tJohnson\tPROPN\tNNP\t_\t1\tflat\t_\tNER=E-PERSON
3\trides\tride\tVERB\tVBZ\t_\t0\troot\t_\t_
4\ta\ta\tDET\tDT\t_\t6\tdet\t_\t_
5\tred\tred\tADJ\tJJ\t_\t6\tamod\t_\t_
6\tbike\tbike\tNOUN\tNN\t_\t3\tobj\t_\t_
7\tin\tin\tADP\tIN\t_\t8\tcase\t_\t_
8\tStanford\tStanford\tPROPN\tNNP\t_\t3\tobl\t_\tner=S-ORG|SpaceAfter=No
9\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

"""


def test_named_entity_and_verb_relation(tmp_path):
    f = tmp_path/'george.conllu'; f.write_text(GEORGE)
    (l,) = [json.loads(x) for x in run_cli('concepts', '--conllu', f).stdout.splitlines()]
    assert l == {'text': 'George Johnson rides a red bike in Stanford .',
                 'entities': ['PERSON: George Johnson', 'bike', 'ORG: Stanford'],
                 'attributes': [['bike', 'red']],
                 'relations': [['PERSON: George Johnson', 'rides', 'bike'], ['PERSON: George Johnson', 'rides in', 'ORG: Stanford']]}
    with pytest.raises(MissingFileError, match='CoNLL-U file not found'): read_conllu(tmp_path/'none.conllu')


def test_parse_without_stanza_models_says_what_to_do(tmp_path):
    (tmp_path/'text').mkdir(); (tmp_path/'text'/'a.txt').write_text('a red circle\n')
    env = {**os.environ, 'STANZA_RESOURCES_DIR': str(tmp_path/'stanza')}
    r = run_cli('data', 'parse', tmp_path/'text', check=False, env=env)
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert "stanza's 'en' models not found" in r.stderr and str(tmp_path/'stanza'/'en') in r.stderr
    assert """python -c "import stanza; stanza.download('en')\"""" in r.stderr
    assert not (tmp_path/'text'/'a.conllu').exists()
