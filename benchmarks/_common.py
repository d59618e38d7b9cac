"""What the benchmark scripts share: building a preset's recipe for timing, and the line that says where it ran."""
import os, platform

import torch

from t2i_nb.config import make_config
from t2i_nb.recipes import RECIPES


def build(preset: str, overrides: dict | None = None, device='cpu'):
    """(config, recipe, sentence-embedding width) of a preset. Paper presets get random CLIP weights of the same
    architecture (`model.clip_pretrained=None`): speed and memory do not depend on the weights' values."""
    cfg = make_config(preset, overrides)
    if cfg.model_cfg.get('clip_pretrained') and cfg.dataset != 'shapes':
        cfg = make_config(preset, {**(overrides or {}), 'model.clip_pretrained': None})
    recipe = RECIPES[cfg.model](cfg, torch.device(device))
    emb_dim = recipe.clip.embed_dim if hasattr(recipe, 'clip') else cfg.model_cfg['emb_dim']
    return cfg, recipe, emb_dim


def machine_line() -> str:
    return (f'torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, '
            f'{torch.get_num_threads()} threads' + (f', {torch.cuda.get_device_name()}' if torch.cuda.is_available() else ''))
