"""Forward parity of `t2i_nb.galip` with the official GALIP code (tobran/GALIP), run locally.

The official modules are imported at run time from *your* clone of https://github.com/tobran/GALIP (nothing of
theirs is in this repository). Both sides get the same open_clip ViT-B/32 with random weights (no download), the
official NetG/NetD/NetC are built with the settings of their ViT-B/32 configs and every non-CLIP weight is
randomised (their zero initialisations would hide mistakes); their state dicts go through `load_official`, and
the generator, CLIP-feature extractor and discriminator+judge outputs are compared.

    git clone https://github.com/tobran/GALIP /path/to/GALIP
    python tools/galip_parity.py /path/to/GALIP            # exits 1 if any difference exceeds --tol

`--keys FILE` also writes the official state dict's key names and shapes (how tests/fixtures/galip_official_keys.json
was made).
"""
import argparse, contextlib, importlib.util, json, sys, types
from pathlib import Path

import torch
from torch import nn


def import_official(repo: Path):
    "Import code/models/GALIP.py from a clone, with the one helper it needs from their `lib.utils`."
    path = repo/'code'/'models'/'GALIP.py'
    if not path.exists():
        sys.exit(f'{path} not found: pass the root of a clone of https://github.com/tobran/GALIP')
    utils = types.ModuleType('lib.utils'); utils.dummy_context_mgr = contextlib.nullcontext
    sys.modules.setdefault('lib', types.ModuleType('lib')); sys.modules['lib.utils'] = utils
    spec = importlib.util.spec_from_file_location('official_galip', path)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod


class LND(nn.Module):
    "OpenAI's CLIP blocks take (L, N, D); open_clip's take (N, L, D)."
    def __init__(self, blk): super().__init__(); self.blk = blk
    def forward(self, x): return self.blk(x.permute(1, 0, 2)).permute(1, 0, 2)


def openai_view(vis):
    "The attributes of OpenAI's `clip.model.VisionTransformer` that the official code touches, over open_clip's."
    tr = nn.Module(); tr.resblocks = nn.ModuleList([LND(b) for b in vis.transformer.resblocks])
    return types.SimpleNamespace(visual=types.SimpleNamespace(
        conv1=vis.conv1, class_embedding=vis.class_embedding, positional_embedding=vis.positional_embedding,
        ln_pre=vis.ln_pre, transformer=tr, ln_post=vis.ln_post, proj=vis.proj, parameters=vis.parameters))


def official_models(O, shim, seed: int = 1):
    """The official NetG/NetD/NetC with their ViT-B/32 settings over `shim`, every non-CLIP weight randomised, and their
    state in the layout of the released checkpoints (what `t2i_nb.galip_official.load_official` reads)."""
    torch.manual_seed(seed)
    oG = O.NetG(64, 100, 512, 256, 3, False, shim)      # ngf, nz, cond_dim, imsize, ch, mixed_precision, CLIP
    oD, oC = O.NetD(64, 256, 3, False), O.NetC(64, 512, False)
    with torch.no_grad():
        for m in (oG, oD, oC):
            for n, p in m.named_parameters():
                if 'CLIP_ViT' not in n: p.copy_(torch.randn_like(p) * 0.02 + (1 if n.endswith('gamma.linear2.bias') else 0))
    # the layout of their released checkpoints: DDP-wrapped generator, plain D and C
    state = {'model': {'netG': {f'module.{k}': v for k, v in oG.state_dict().items()},
                       'netD': oD.state_dict(), 'netC': oC.state_dict()}}
    return oG, oD, oC, state


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('official', type=Path, help='root of a clone of tobran/GALIP')
    ap.add_argument('--tol', type=float, default=1e-5)
    ap.add_argument('--keys', type=Path, help='also write the official key names and shapes (JSON)')
    args = ap.parse_args(argv)
    O = import_official(args.official)
    import open_clip
    from t2i_nb import galip as T
    from t2i_nb.galip_official import load_official
    from t2i_nb.clip import bundle_from_model

    torch.manual_seed(0)
    clip = open_clip.create_model('ViT-B-32', pretrained=None).eval()
    vis, shim = clip.visual, openai_view(clip.visual)
    oG, oD, oC, state = official_models(O, shim)
    oG, oD, oC = oG.eval(), oD.eval(), oC.eval()
    if args.keys:
        # the frozen CLIP's weights only by name (the converter takes them from the loaded CLIP), named as in the
        # released checkpoints, whose CLIP blocks are OpenAI's (no `.blk` from the (L, N, D) wrapper above)
        sd = state['model']
        args.keys.write_text(json.dumps({
            'netG': {k: list(v.shape) for k, v in sd['netG'].items() if 'CLIP_ViT' not in k},
            'netG_frozen_clip_keys': [k.replace('.blk.', '.') for k in sd['netG'] if 'CLIP_ViT' in k],
            'netD': {k: list(v.shape) for k, v in sd['netD'].items()},
            'netC': {k: list(v.shape) for k, v in sd['netC'].items()},
            'source': 'tobran/GALIP code/models/GALIP.py: NetG(64, 100, 512, 256, 3, False, CLIP ViT-B/32), '
                      'NetD(64, 256, 3, False), NetC(64, 512, False); state_dict() key names and shapes, '
                      'netG saved from DDP (module. prefix)'}, indent=0))

    G, D = T.NetG(vis, 64, 100, 512, 256).eval(), T.GALIPDisc(768, 3, 512, 512).eval()
    print('converter:', load_official(G, D, state))
    z, s, x = torch.randn(4, 100), torch.randn(4, 512), torch.rand(4, 3, 256, 256) * 2 - 1
    rows = []
    with torch.no_grad():
        a, b = oG(z, s), G(z, s)
        rows.append(('generator image', (a - b).abs().max().item(), a.abs().max().item()))
        of, oe = O.CLIP_IMG_ENCODER(shim)(x)
        tf, te = T.clip_features(bundle_from_model(clip, 'ViT-B-32'), x, (1, 4, 8), official=True)
        rows.append(('CLIP layer features', (of - tf).abs().max().item(), of.abs().max().item()))
        rows.append(('CLIP image embedding', (oe - te).abs().max().item(), oe.abs().max().item()))
        oc, tc = oC(oD(of), s), D(of, s)
        rows.append(('D + judge logits', (oc - tc).abs().max().item(), oc.abs().max().item()))
        # sensitivity: a small change to one converted weight must show up
        bias = G.GBlocks[3].fuse1.affine0.fc_beta.linear2.bias
        bias[0] += 1e-3
        rows.append(('G after +1e-3 on one bias', (oG(z, s) - G(z, s)).abs().max().item(), float('nan')))
        bias[0] -= 1e-3
        G.mapping.fc_prompt.bias[0] -= 1e-2
        rows.append(('G after -1e-2 on prompt bias', (oG(z, s) - G(z, s)).abs().max().item(), float('nan')))
        G.mapping.fc_prompt.bias[0] += 1e-2
    n_sens = 2
    print(f"{'output':<30}{'max |ours - official|':>24}{'max |official|':>16}")
    for name, d, scale in rows: print(f'{name:<30}{d:>24.3e}{scale:>16.3f}')
    bad = ([n for n, d, _ in rows[:-n_sens] if d > args.tol]
           + [f'sensitivity check ({n})' for n, d, _ in rows[-n_sens:] if not d > 0])
    if bad: sys.exit(f'parity FAILED (tol {args.tol}): {bad}')
    print(f'parity OK (tol {args.tol})')


if __name__ == '__main__':
    main()
