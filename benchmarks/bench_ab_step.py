"""Two presets' training steps alternated in one process (A/B, the order flipped every repetition), and where each
step's time goes: the ratio of the medians, the bridge's fusion stack timed alone, and optionally torch.profiler's
top ops by self CPU time.

    python benchmarks/bench_ab_step.py --presets galip-cub ratlip-cub --batch-size 8 --reps 2 --profile 10
    python benchmarks/bench_ab_step.py --presets galip-shapes ratlip-shapes --batch-size 32 --reps 6

`bench_train_step.py` runs one process per row, one after another, so on a shared machine a load change between
rows shows up as a speed difference; alternating in one process puts both presets under the same load, and only the
ratio of such medians means much there. The batches are built as in `bench_train_step.py` (random uint8 images at
the preset's load size, random caption embeddings); each preset is built with seed 0 and gets one untimed warm-up
step. For GALIP-family presets the generator's bridge fusion stack (`G.mapping.FBlocks`: GALIP's M-blocks or
RATLIP's RAT stack) is also timed alone, forward + backward, 3 times, to show its share of a step."""
import argparse, statistics, time

import torch

from _common import build, machine_line
from t2i_nb.batches import TextImageData

OPS = ('aten::lstm_cell', 'aten::native_group_norm', 'aten::mkldnn_convolution', 'aten::convolution_backward',
       'aten::addmm', 'aten::mm', 'aten::bmm', 'aten::mul')


def make(preset, batch_size):
    "A preset's recipe (seed 0, fp32) and one synthetic batch of its shapes."
    torch.manual_seed(0)
    cfg, r, emb = build(preset, {'batch_size': batch_size, 'amp': 'none'}, 'cpu')
    r.build_optimizers()
    size, n = cfg.load_size or cfg.image_size, max(2 * batch_size, 32)
    g = torch.Generator().manual_seed(0)
    data = TextImageData(torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g),
                         {'sentence': torch.randn(n, 10, emb, generator=g)}, [['x'] * 10] * n)
    return r, data.batch(0, batch_size, 0, r.noise, cfg.num_emb, cfg.image_size, cfg.flip, device=torch.device('cpu'))


def bridge_times(r, b, reps=3):
    "Seconds of the bridge's fusion stack alone (forward + backward of a mean square), or None for other models."
    G = r.models['G']
    if not hasattr(G, 'mapping'): return None
    noise, sent = b['noise']['z'], b['text']['sentence']
    c = torch.cat([noise, sent], 1)
    x = G.fc_code(noise).view(len(noise), G.code_ch, G.code_sz, G.code_sz).detach()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); G.mapping.FBlocks(x, c).square().mean().backward(); ts.append(time.perf_counter() - t)
    G.zero_grad(set_to_none=True)
    return ts


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--presets', nargs=2, default=['galip-shapes', 'ratlip-shapes'], metavar=('A', 'B'))
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--reps', type=int, default=3, help='timed steps of each preset')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--profile', type=int, default=0, help='after the timing, profile one more step of each: top N ops')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(machine_line())
    runs = {name: make(name, a.batch_size) for name in a.presets}
    for name, (r, b) in runs.items():
        ts = bridge_times(r, b)
        if ts: print(f'{name}: bridge fusion stack alone, forward + backward: ' + ', '.join(f'{t:.3f}' for t in ts) + ' s', flush=True)
    for name, (r, b) in runs.items(): r.train_step(b, 0)                     # warm-up
    times, names = {k: [] for k in runs}, list(runs)
    for i in range(a.reps):
        for name in (names if i % 2 == 0 else names[::-1]):
            r, b = runs[name]
            t = time.perf_counter(); r.train_step(b, 1 + i); times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    A, B = names
    print(f'\n| preset | batch | steps (s, alternated) | median s | ratio to {A} |\n|---|---:|---|---:|---:|')
    for k in names:
        print(f"| {k} | {a.batch_size} | {', '.join(f'{t:.2f}' for t in times[k])} | {med[k]:.3f} | {med[k] / med[A]:.3f} |")
    if not a.profile: return
    from torch.profiler import ProfilerActivity, profile
    for name, (r, b) in runs.items():
        with profile(activities=[ProfilerActivity.CPU]) as prof: r.train_step(b, 1 + a.reps)
        ka = prof.key_averages()
        print(f'\n--- {name}, one training step, batch {a.batch_size}, {a.threads} thread(s) ---')
        print(ka.table(sort_by='self_cpu_time_total', row_limit=a.profile))
        for e in ka:
            if e.key in OPS: print(f'  {e.key}: {e.count} calls, self CPU {e.self_cpu_time_total / 1e3:.1f} ms')


if __name__ == '__main__':
    main()
