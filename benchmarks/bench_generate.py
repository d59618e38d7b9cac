"""Images per second at inference (generator forward only, no grad, eval mode), and print a table.

    python benchmarks/bench_generate.py --presets galip-shapes galip-cub ratlip-shapes hdgan-shapes --device cpu

Paper presets that need pretrained CLIP weights are built with random CLIP weights of the same architecture
(`model.clip_pretrained=null`): speed does not depend on the weights' values. `--modes` names speed modes of the
trainer (`t2i_nb.speed.MODES`; those that act on inference: channels_last, bf16, compile), one row each."""
import argparse, time

import torch

from _common import build, machine_line
from t2i_nb.speed import apply_speed_modes, mode_overrides, speed_context
from t2i_nb.train import autocast


def bench(preset, batch, device, reps, mode='fp32'):
    dev = torch.device(device)
    cfg, r, emb_dim = build(preset, {'amp': 'none', **mode_overrides(mode)}, device=dev)
    apply_speed_modes(r, cfg)
    G = r.G.eval()
    emb = torch.randn(batch, emb_dim, device=dev)
    noise = {k: torch.randn(batch, *s, device=dev) for k, s in r.noise.items()}
    with torch.no_grad(), speed_context(cfg, dev), autocast(dev, cfg.amp):
        t = time.perf_counter()
        r.generate({'sentence': emb}, noise, G)                               # warm-up (and compilation)
        first = time.perf_counter() - t
        if dev.type == 'cuda': torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(reps): out = r.generate({'sentence': emb}, noise, G)
        if dev.type == 'cuda': torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / reps
    out = out[-1] if isinstance(out, (list, tuple)) else out
    return dict(preset=preset, mode=mode, batch=batch, size=out.shape[-1], sec=dt, ips=batch / dt, first=first)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--presets', nargs='+', default=['hdgan-shapes', 'galip-shapes', 'ratlip-shapes', 'galip-cub'])
    p.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 16])
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--threads', type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument('--modes', nargs='+', default=['fp32'], help="speed modes (t2i_nb.speed.MODES, joined by '+'), one row each")
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    print(machine_line())
    print(f'| preset | device | mode | batch | image | s/batch (mean of {a.reps}) | images/s | first call s |')
    print('|---|---|---|---:|---:|---:|---:|---:|')
    for preset in a.presets:
        for mode in a.modes:
            for b in a.batch_sizes:
                r = bench(preset, b, a.device, a.reps, mode)
                print(f"| {r['preset']} | {a.device} | {r['mode']} | {r['batch']} | {r['size']}² | {r['sec']:.3f} | "
                      f"{r['ips']:.1f} | {r['first']:.3f} |", flush=True)


if __name__ == '__main__':
    main()
