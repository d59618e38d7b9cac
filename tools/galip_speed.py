"""Training and sampling speed of `t2i_nb.galip` side by side with the official GALIP code (tobran/GALIP), run locally.

The official modules come from *your* clone (nothing of theirs is in this repository), imported and given the same
random ViT-B/32 and the same randomised weights as in `galip_parity.py` (whose helpers this script uses); our
`galip-cub` recipe gets their weights through `load_official`. Both sides then run, alternating A/B in one process
(the order flips every repetition), the median of `--reps` timings after `--warmup` untimed ones of:

* the D+G training step, fp32 (hinge on real / ½ fake / ½ mismatched, MA-GP, then the G loss −C(fake) − 4·cos):
  the official side is the body of their `code/lib/modules.py:train()` with `mixed_precision=False` (the data
  preparation and text encoding excluded, as on our side: both get the same sentence vectors and noise); ours is
  `GALIPRecipe.train_step`, in each `--modes` (speed modes of the trainer, `t2i_nb.speed`);
* sampling: the generator forward without grad in eval mode, images/s.

    python tools/galip_speed.py /path/to/GALIP                          # batch 8 step + sampling at 8 and 32
    python tools/galip_speed.py /path/to/GALIP --train-batches 8 32 --modes fp32 channels_last bf16
    python tools/galip_speed.py /path/to/GALIP --profile /tmp/prof      # + torch.profiler tables of one step each

On a shared machine only the ratios of alternated timings mean much; say so with the numbers.
"""
import argparse, statistics, sys, time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from galip_parity import import_official, official_models, openai_view      # noqa: E402


def official_step(oG, oD, oC, enc, optG, optD, real, sent, noise, sim_w=4.0):
    "One step of their train() (code/lib/modules.py), fp32 branch; their names, their order."
    optD.zero_grad()
    real = real.clone().requires_grad_()        # as theirs: real.requires_grad_() (D's backward then runs through CLIP)
    sent = sent.clone().requires_grad_()
    CLIP_real, real_emb = enc(real)
    real_feats = oD(CLIP_real)
    pred_real = oC(real_feats, sent)
    errD_real = F.relu(1. - pred_real).mean()
    mis_sent = torch.cat((sent[1:], sent[0:1]), dim=0).detach()
    errD_mis = F.relu(1. + oC(real_feats, mis_sent)).mean()
    fake = oG(noise, sent)
    CLIP_fake, fake_emb = enc(fake)
    errD_fake = F.relu(1. + oC(oD(CLIP_fake.detach()), sent)).mean()
    # their MA_GP_FP32, with grad_outputs on the tensor's device instead of .cuda()
    grads = torch.autograd.grad(outputs=pred_real, inputs=(CLIP_real, sent), grad_outputs=torch.ones_like(pred_real),
                                retain_graph=True, create_graph=True, only_inputs=True)
    grad = torch.cat((grads[0].view(grads[0].size(0), -1), grads[1].view(grads[1].size(0), -1)), dim=1)
    errD_MAGP = 2.0 * torch.mean(torch.sqrt(torch.sum(grad ** 2, dim=1)) ** 6)
    errD = errD_real + (errD_fake + errD_mis) / 2.0 + errD_MAGP
    errD.backward(); optD.step()
    optG.zero_grad()
    output = oC(oD(CLIP_fake), sent)
    errG = -output.mean() - sim_w * torch.cosine_similarity(fake_emb, sent).mean()
    errG.backward(); optG.step()
    return dict(d_loss=errD.detach(), g_loss=errG.detach())


def median_times(fns: dict, warmup: int, reps: int) -> dict:
    "Alternate the callables (order reversed every repetition); the median seconds of each after `warmup` calls."
    times = {k: [] for k in fns}
    names = list(fns)
    for i in range(warmup + reps):
        for k in (names if i % 2 == 0 else names[::-1]):
            t = time.perf_counter(); fns[k](); dt = time.perf_counter() - t
            if i >= warmup: times[k].append(dt)
    return {k: statistics.median(v) for k, v in times.items()}


def build(official: Path, modes):
    "Official modules and one of our recipes per mode, all from the same weights."
    O = import_official(official)
    from t2i_nb.config import make_config
    from t2i_nb.galip_official import load_official
    from t2i_nb.recipes import RECIPES
    from t2i_nb.speed import apply_speed_modes, mode_overrides
    ours, shim, state = {}, None, None
    for mode in modes:
        cfg = make_config('galip-cub', {'model.clip_pretrained': None, 'device': 'cpu', 'amp': 'none', **mode_overrides(mode)})
        torch.manual_seed(0)                                   # the same random CLIP for every recipe
        r = RECIPES['galip'](cfg, 'cpu')
        if shim is None:
            shim = openai_view(r.clip.model.visual)
            oG, oD, oC, state = official_models(O, shim)
            enc = O.CLIP_IMG_ENCODER(shim)
        else:                                                   # share the frozen CLIP weights
            r.clip.model.visual.load_state_dict(ours[modes[0]].clip.model.visual.state_dict())
        load_official(r.models['G'], r.models['D'], state)
        r.build_optimizers()
        apply_speed_modes(r, cfg)
        ours[mode] = r
    optG = torch.optim.Adam(oG.parameters(), lr=1e-4, betas=(0.0, 0.9))    # code/src/train.py
    optD = torch.optim.Adam(list(oD.parameters()) + list(oC.parameters()), lr=4e-4, betas=(0.0, 0.9))
    return (oG, oD, oC, enc, optG, optD), ours


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('official', type=Path, help='root of a clone of tobran/GALIP')
    ap.add_argument('--train-batches', type=int, nargs='*', default=[8], help='batch sizes of the training-step rows')
    ap.add_argument('--sample-batches', type=int, nargs='*', default=[8, 32], help='batch sizes of the sampling rows')
    ap.add_argument('--modes', nargs='+', default=['fp32'], help="our speed modes (t2i_nb.speed.MODES, several joined by '+'), one row each")
    ap.add_argument('--warmup', type=int, default=1); ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--no-time', action='store_true', help='with --profile: profile only')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--size', type=int, default=256, help='side of the real training images')
    ap.add_argument('--profile', type=Path, help='write torch.profiler tables (top 15 ops by self CPU time) of one step each here')
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from t2i_nb.speed import speed_context
    from t2i_nb.train import autocast
    off, ours = build(args.official, args.modes)
    oG, oD, oC, enc, optG, optD = off
    import platform, os
    print(f'torch {torch.__version__}, {platform.machine()}, {torch.backends.cpu.get_cpu_capability()}, '
          f'{os.cpu_count()} CPUs, {torch.get_num_threads()} thread(s); modes: {", ".join(args.modes)}')
    rows = []
    for B in args.sample_batches:
        g = torch.Generator().manual_seed(100 + B)
        sent, noise = torch.randn(B, 512, generator=g), torch.randn(B, 100, generator=g)
        oG.eval()
        fns = {'official': lambda: oG(noise, sent, eval=True)}
        for mode, r in ours.items():
            r.G.eval()
            def gen(r=r):
                with speed_context(r.cfg, torch.device('cpu')), autocast(torch.device('cpu'), r.cfg.amp):
                    return r.generate(dict(sentence=sent), dict(z=noise), r.G).float()
            fns[mode] = gen
        with torch.no_grad():
            diff = (fns['official']().clamp(-1, 1) - fns[args.modes[0]]()).abs().max().item()
            t = median_times(fns, args.warmup, args.reps)
        print(f'batch {B} sampling medians: ' + ', '.join(f'{k} {v:.2f} s' for k, v in t.items())
              + f' (max |official − {args.modes[0]}| = {diff:.2e}, ours clamped to [-1, 1])', flush=True)
        for k in ours: rows.append(('sampling', B, k, t['official'], t[k]))
    for B in args.train_batches:
        g = torch.Generator().manual_seed(B)
        real = torch.rand(B, 3, args.size, args.size, generator=g) * 2 - 1
        sent, noise = torch.randn(B, 512, generator=g), torch.randn(B, 100, generator=g)
        batch = dict(image=real, text=dict(sentence=sent), wrong_text=dict(sentence=torch.cat((sent[1:], sent[:1]))),
                     noise=dict(z=noise))
        for m in (oG, oD, oC, enc): m.train()
        for r in ours.values():
            for m in r.models.values(): m.train()
        first = {'official': official_step(*off[:4], optG, optD, real, sent, noise)}
        for mode, r in ours.items():
            with speed_context(r.cfg, torch.device('cpu')), autocast(torch.device('cpu'), r.cfg.amp):
                first[mode] = r.train_step(batch, 0)
        print(f'batch {B}, first step (same weights, same inputs): ' + '; '.join(
            f"{k} d_loss {float(v['d_loss']):.6f} g_loss {float(v['g_loss']):.6f}" for k, v in first.items()), flush=True)
        fns = {'official': lambda: official_step(*off[:4], optG, optD, real, sent, noise)}
        for mode, r in ours.items():
            def step(r=r):
                with speed_context(r.cfg, torch.device('cpu')), autocast(torch.device('cpu'), r.cfg.amp):
                    return r.train_step(batch, 1)
            fns[mode] = step
        if args.profile:
            from torch.profiler import ProfilerActivity, profile
            args.profile.mkdir(parents=True, exist_ok=True)
            for k, fn in fns.items():
                with profile(activities=[ProfilerActivity.CPU]) as prof: fn()
                table = prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=15)
                (args.profile/f'step_b{B}_{k}.txt').write_text(table)
                print(f'--- profile, training step, batch {B}, {k} ---\n{table}', flush=True)
        if args.no_time: continue
        t = median_times(fns, args.warmup, args.reps)
        for k in ours: rows.append(('train step', B, k, t['official'], t[k]))
        print(f'batch {B} step medians: ' + ', '.join(f'{k} {v:.2f} s' for k, v in t.items()), flush=True)
    print(f'\n| what | batch | our mode | official s | ours s | official img/s | ours img/s | speed-up (official s / ours s) |')
    print('|---|---:|---|---:|---:|---:|---:|---:|')
    for what, B, k, to, tu in rows:
        print(f'| {what} | {B} | {k} | {to:.2f} | {tu:.2f} | {B / to:.2f} | {B / tu:.2f} | {to / tu:.2f}× |')


if __name__ == '__main__':
    main()
