"""The speed modes of the trainer (`13a_speed`): each trains two steps of `galip-shapes` (batch 4) through the trainer
and logs the same losses as the default fp32 run to within a stated tolerance; the compiled generator agrees with
the eager one. That the default run stays bit-identical to the recorded one is `tests/test_first_losses.py`.

Tolerances (on every logged loss of both steps, absolute below 1, relative above): 2e-3 for the modes that only
reorder float32 arithmetic (another memory format, Adam implementation, summation order, compiled kernels): the
forward agrees to ~1e-6, but Adam divides each gradient by its own running scale, so a rounding difference in a
near-zero gradient moves that weight by up to the learning rate, and step 2's losses then differ by up to ~3e-4
(measured); 0.6 for bf16 autocast, a sanity bound, not a precision claim. bf16 has an 8-bit mantissa. The G loss of
step 1 (−C − 4·cos, after one bf16 D update) moved by 0.16 in one measurement. After the frozen CLIP was kept in eval
mode (2026-11-30) it moved by 0.50 (CI). Yet the bf16 CLIP forward itself agrees with fp32 to a cosine of 0.99998 on
real and generated images. The spread most likely comes from D's first Adam step (inferred, not measured): bf16 flips the sign of near-zero gradients,
and Adam moves each of those weights by about the learning rate. `tf32` and `cudnn_benchmark` do nothing on the CPU; they ride
along with `foreach`."""
import math

import pytest
import torch

TOL = {'share_trunk': 2e-3, 'channels_last': 2e-3, 'foreach+tf32': 2e-3, 'fused': 2e-3, 'compile': 2e-3, 'bf16': 0.6}


@pytest.fixture(scope='module')
def run(shapes_small, tmp_path_factory):
    "mode -> the logged losses of its two steps (each run once per module)."
    from t2i_nb.config import make_config
    from t2i_nb.speed import mode_overrides
    from t2i_nb.train import Trainer, read_log
    torch.set_num_threads(1)
    cache = {}
    def losses(mode, **extra):
        key = (mode, tuple(sorted(extra.items())))
        if key not in cache:
            cfg = make_config('galip-shapes', dict(data_root=str(shapes_small), seed=0, batch_size=4, steps=2, log_every=1,
                                                   sample_every=0, ckpt_every=0, eval_every=0, n_grid=2, device='cpu',
                                                   **mode_overrides(mode), **extra))
            d = tmp_path_factory.mktemp(mode.replace('+', '-'))
            t = Trainer(cfg, d, resume='none', progress=False)
            t.fit()
            cache[key] = [{k: v for k, v in r.items() if k.endswith('loss') or k.startswith(('d_', 'g_'))}
                           for r in read_log(d).to_dict('records')], t
        return cache[key]
    return losses


def close(got, want, tol):
    assert len(got) == len(want) == 2
    for g, w in zip(got, want):
        for k in w:
            assert math.isfinite(g[k]) and abs(g[k] - w[k]) <= tol * max(1.0, abs(w[k])), (k, g[k], w[k], tol)


@pytest.mark.parametrize('mode', ['share_trunk', 'channels_last', 'foreach+tf32', 'fused', 'bf16'])
def test_mode_trains_two_steps_like_fp32(run, mode):
    got, t = run(mode)
    close(got, run('fp32')[0], TOL[mode])
    if 'channels_last' in mode:
        w = t.recipe.G.GBlocks[0].c1.weight
        assert w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous()


def test_compiled_generator_agrees_with_eager(run):
    """One compiled case only, with the `aot_eager` backend: Dynamo's graph capture and AOT autograd's forward and
    backward graphs, as under Inductor, but without Inductor's C++ kernels, whose compilation takes minutes on a
    shared 2-core CPU (measured in benchmarks/RESULTS.md; `bench_train_step.py --modes compile` runs Inductor)."""
    got, t = run('compile', compile_backend='aot_eager')
    assert t.speed == {'compile': ['G']}
    close(got, run('fp32')[0], TOL['compile'])
    assert list(t.recipe.G.state_dict()) == list(run('fp32')[1].recipe.G.state_dict())   # checkpoints keep their keys


def test_modes_are_not_maths_fields():
    "A run may be resumed in another mode (as on another device); the defaults are all off."
    from t2i_nb.checkpoints import MATHS_FIELDS
    from t2i_nb.config import TrainConfig
    from t2i_nb.speed import MODES
    fields = {k for over in MODES.values() for k in over} - {'amp'}
    assert not fields & set(MATHS_FIELDS)
    d = TrainConfig()
    assert (d.channels_last, d.compile, d.adam, d.tf32, d.cudnn_benchmark, d.share_trunk, d.amp) == \
        (False, False, 'default', False, False, False, 'none')
