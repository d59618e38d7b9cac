"""t2i_nb.eval.oracle: the committed shapes oracle reads images, scores captions, and serves torch-fidelity."""
import pytest
import torch
from torch import nn

from t2i_nb.core import DataError, MissingFileError
from t2i_nb.data.shapes_io import make_shapes
from t2i_nb.eval.oracle import ShapesOracle, load_oracle, oracle_path, read_split, save_oracle, to_float
from t2i_nb.eval.oracle_fidelity import (ORACLE_EXTRACTOR, ImageTensorDataset, OracleFeatureExtractor,
                                         oracle_fidelity_kwargs, register_oracle_extractor)
from t2i_nb.eval.oracle_scores import evaluate_oracle, semantic_accuracy


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "One torch thread: on a shared 2-core machine two OpenMP threads are several times slower."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope='module')
def real(tmp_path_factory):
    "120 shapes images from a seed the oracle never saw (it was trained on seed 0), every split together."
    root = make_shapes(tmp_path_factory.mktemp('oracle')/'shapes', n_images=120, seed=7, workers=1)
    parts = [read_split(root, s) for s in ('train', 'test', 'heldout')]
    return torch.cat([p[0] for p in parts]), [t for p in parts for t in p[1]]


@pytest.fixture(scope='module')
def oracle():
    return load_oracle()


def test_checkpoint_is_committed_and_small():
    path = oracle_path()
    assert path.is_file() and path.stat().st_size < 5 * 2**20
    ck = torch.load(path, weights_only=True)                       # no pickled code in it
    assert ck['meta']['accuracy']['test']['all_correct'] >= 0.95


def test_oracle_reads_real_images(oracle, real):
    x, truths = real
    summary, df = evaluate_oracle(oracle, x, truths)
    assert summary['all_correct'] >= 0.95, summary
    assert min(summary[k] for k in ('recall', 'precision', 'shape', 'colour', 'size', 'relation')) >= 0.97, summary
    # another size goes through the same way (resized to 64 px)
    big = torch.nn.functional.interpolate(x[:40].float(), scale_factor=2, mode='nearest').to(torch.uint8)
    assert evaluate_oracle(oracle, big, truths[:40])[0]['all_correct'] >= 0.9


def test_semantic_accuracy_own_and_other_captions(oracle, real):
    x, truths = real
    own = semantic_accuracy(oracle, to_float(x), truths, caption_indices=[i % 10 for i in range(len(x))])
    assert min(own[k] for k in ('shape', 'colour', 'size', 'relation', 'count')) >= 0.97 and own['all_correct'] >= 0.95, own
    other = semantic_accuracy(oracle, to_float(x), truths[1:] + truths[:1], caption_indices=0)
    assert other['all_correct'] < 0.2 and other['shape'] < own['shape'] - 0.3, other
    res, df = semantic_accuracy(oracle, to_float(x[:5]), truths[:5], per_image=True)   # the full scene
    assert len(df) == 5 and res['images'] == 5
    with pytest.raises(DataError, match='to_float'):
        semantic_accuracy(oracle, x[:5], truths[:5])


def test_torch_fidelity_runs_with_the_oracle(real):
    import torch_fidelity
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
    assert register_oracle_extractor() == register_oracle_extractor() == ORACLE_EXTRACTOR
    assert FEATURE_EXTRACTORS_REGISTRY[ORACLE_EXTRACTOR] is OracleFeatureExtractor
    x, _ = real
    a, b = ImageTensorDataset(x[:40]), ImageTensorDataset(to_float(x[40:80]))
    kw = oracle_fidelity_kwargs(verbose=False, save_cpu_ram=True, kid_subset_size=20, kid_subsets=10, isc_splits=2)
    res = torch_fidelity.calculate_metrics(input1=a, input2=b, fid=True, kid=True, isc=True, **kw)
    blurred = ImageTensorDataset(torch.nn.functional.avg_pool2d(to_float(x[:40]), 5, 1, 2))
    res_blur = torch_fidelity.calculate_metrics(input1=blurred, input2=b, fid=True, **kw)
    assert 0 <= res['frechet_inception_distance'] < res_blur['frechet_inception_distance']
    assert res['inception_score_mean'] > 1 and 'kernel_inception_distance_mean' in res
    with pytest.raises(Exception, match='oracle-pool'):       # Inception's layer names are refused with a hint
        torch_fidelity.calculate_metrics(input1=a, input2=b, fid=True, feature_extractor=ORACLE_EXTRACTOR,
                                         cuda=False, verbose=False)


def test_checkpoint_of_another_model_is_a_clear_error(tmp_path):
    torch.save(nn.Linear(3, 4).state_dict(), tmp_path/'plain.pt')
    with pytest.raises(DataError, match='not a shapes oracle'):
        load_oracle(tmp_path/'plain.pt')
    torch.save(dict(format='t2i_nb.clip/1', state_dict={}), tmp_path/'clip.pt')
    with pytest.raises(DataError, match="holds a 't2i_nb.clip/1' checkpoint"):
        load_oracle(tmp_path/'clip.pt')
    small = ShapesOracle(widths=(16, 16, 32))
    save_oracle(small, tmp_path/'small.pt', dict(note='x'))
    assert load_oracle(tmp_path/'small.pt').meta == dict(note='x')          # its own config travels with it
    ck = torch.load(tmp_path/'small.pt', weights_only=True)
    ck['config']['widths'] = [48, 64, 128]
    torch.save(ck, tmp_path/'mismatch.pt')
    with pytest.raises(DataError, match='does not fit'):
        load_oracle(tmp_path/'mismatch.pt')
    with pytest.raises(MissingFileError, match='train_oracle'):
        load_oracle(tmp_path/'missing.pt')
