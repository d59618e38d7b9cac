"""Time one training step of a preset on synthetic data of the preset's shapes, and print a table.

    python benchmarks/bench_train_step.py --presets hdgan-cub-256 hdgan-shapes --batch-size 16 --device cpu

The data are random uint8 images at the preset's load/image size and random caption embeddings of its width, so
the timing covers exactly the recipe's `train_step` (forward, backward and optimiser steps of G and D) plus the
batch assembly, not disk I/O. The first `--warmup` steps are not timed (with `--modes compile`, the first holds the
compilation, reported apart). `--modes` names speed modes of the trainer (`t2i_nb.speed.MODES`, several joined by
'+'), one row each. GALIP/RATLIP paper presets are built with random CLIP weights of the same
architecture (speed does not depend on the weights' values)."""
import argparse, resource, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import torch

from _common import build, machine_line
from t2i_nb.config import parse_overrides
from t2i_nb.batches import TextImageData
from t2i_nb.speed import apply_speed_modes, mode_overrides, speed_context
from t2i_nb.train import autocast


def bench(preset, batch_size, device, steps, warmup, amp, overrides, mode='fp32', threads=0):
    if threads: torch.set_num_threads(threads)
    dev = torch.device(device)
    cfg, recipe, emb_dim = build(preset, {**parse_overrides(overrides), 'batch_size': batch_size, 'amp': amp,
                                          **mode_overrides(mode)}, dev)
    amp = cfg.amp
    recipe.build_optimizers()
    apply_speed_modes(recipe, cfg)
    size = cfg.load_size or cfg.image_size
    n = max(2 * batch_size, 32)
    g = torch.Generator().manual_seed(0)
    data = TextImageData(torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g),
                         {'sentence': torch.randn(n, 10, emb_dim, generator=g)}, [['x'] * 10] * n)
    if amp == 'fp16': recipe.scaler = torch.amp.GradScaler('cuda')
    times, first = [], None
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
    for s in range(warmup + steps):
        b = data.batch(s, batch_size, 0, recipe.noise, cfg.num_emb, cfg.image_size, cfg.flip, device=dev)
        if dev.type == 'cuda': torch.cuda.synchronize()
        t = time.perf_counter()
        with speed_context(cfg, dev), autocast(dev, amp): recipe.train_step(b, s)
        if dev.type == 'cuda': torch.cuda.synchronize()
        if s >= warmup: times.append(time.perf_counter() - t)
        elif s == 0: first = time.perf_counter() - t
    mem = (torch.cuda.max_memory_allocated() / 2**30 if dev.type == 'cuda'
           else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    params = {k: sum(p.numel() for p in m.parameters() if p.requires_grad) / 1e6 for k, m in recipe.models.items()}
    return dict(preset=preset, device=str(dev), amp=amp, mode=mode, batch=batch_size, image=cfg.image_size,
                sec=sum(times) / len(times), best=min(times), first=first, mem=mem, params=params)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--presets', nargs='+', default=['hdgan-shapes', 'hdgan-cub-256'])
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--amp', nargs='+', default=['none'], help='none / bf16 / fp16, one row each')
    p.add_argument('--steps', type=int, default=3); p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--set', nargs='*', default=[])
    p.add_argument('--threads', type=int, default=0, help='torch threads in each row\'s process (0: torch\'s default)')
    p.add_argument('--modes', nargs='+', default=['fp32'], help="speed modes (t2i_nb.speed.MODES, joined by '+'), one row each")
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    print(machine_line())
    print(f"| preset | device | mode | amp | batch | image | s/step (mean of {a.steps}) | best | first step | peak mem (GiB) | trainable params G / D (M) |")
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for preset in a.presets:
        for mode in a.modes:
            for amp in a.amp:
                # a fresh process per row: on the CPU the peak memory (max RSS) is the process's, so rows would inherit
                with ProcessPoolExecutor(1, mp_context=get_context('spawn')) as ex:
                    r = ex.submit(bench, preset, a.batch_size, a.device, a.steps, a.warmup, amp, a.set, mode, a.threads).result()
                pr = ' / '.join(f'{v:.1f}' for v in r['params'].values())
                first = f"{r['first']:.3f}" if r['first'] is not None else '—'
                print(f"| {r['preset']} | {r['device']} | {r['mode']} | {r['amp']} | {r['batch']} | {r['image']}² | {r['sec']:.3f} | "
                      f"{r['best']:.3f} | {first} | {r['mem']:.2f} | {pr} |", flush=True)


if __name__ == '__main__':
    main()
