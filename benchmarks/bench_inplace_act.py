"""In-place LeakyReLUs (as the official GALIP/DF-GAN code) against the out-of-place ones we had before, alternated in
one process on one GALIP-family recipe: the training step's median seconds each way and the ratio.

    python benchmarks/bench_inplace_act.py --preset galip-cub --batch-sizes 4 8 --threads 2 --reps 6

`25_dfgan`'s DFBLK and D_Block, and NetC, apply LeakyReLU in place on a fresh affine or convolution output, which
saves one full-size activation each; the numbers are bit-identical (the first-losses test checks that). "Before" is
the previous forward, restored for the timing by swapping DFBLK.forward and the modules' `inplace` flags."""
import argparse, statistics, time

import torch
import torch.nn.functional as F
from torch import nn

from _common import machine_line
from bench_ab_step import make                     # a preset's recipe (seed 0, fp32) and one synthetic batch
from t2i_nb import dfgan

NEW_FORWARD = dfgan.DFBLK.forward
def old_forward(self, x, c): return F.leaky_relu(self.affine1(F.leaky_relu(self.affine0(x, c), 0.2), c), 0.2)


def set_inplace(r, inplace: bool):
    dfgan.DFBLK.forward = NEW_FORWARD if inplace else old_forward
    for m in r.models['D'].modules():
        if isinstance(m, nn.LeakyReLU): m.inplace = inplace


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', default='galip-cub'); ap.add_argument('--batch-sizes', type=int, nargs='+', default=[4])
    ap.add_argument('--threads', type=int, default=1); ap.add_argument('--reps', type=int, default=6)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    print(machine_line())
    print('| preset | batch | out of place s | in place s | speed-up |\n|---|---:|---:|---:|---:|')
    for B in a.batch_sizes:
        r, b = make(a.preset, B)
        for m in r.models.values(): m.train()
        times = {True: [], False: []}
        for i in range(a.reps + 1):                                    # the first round is the warm-up
            for mode in ((True, False) if i % 2 else (False, True)):
                set_inplace(r, mode); t = time.perf_counter(); r.train_step(b, 1)
                if i: times[mode].append(time.perf_counter() - t)
        old, new = statistics.median(times[False]), statistics.median(times[True])
        print(f'| {a.preset} | {B} | {old:.2f} | {new:.2f} | {old / new:.3f}× |', flush=True)
    set_inplace(r, True)


if __name__ == '__main__':
    main()
