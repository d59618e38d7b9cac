import os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_cli(*args, check=True, **kw):
    "Run the installed `t2i` console script in a subprocess, as a user would."
    exe = BIN/'t2i'
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=kw.pop('cwd', ROOT), **kw)
    if check and r.returncode != 0:
        raise AssertionError(f't2i {" ".join(map(str, args))} exited {r.returncode}\n{r.stdout}\n{r.stderr}')
    return r


@pytest.fixture(scope='session')
def shapes_small(tmp_path_factory):
    "A 300-image shapes dataset made once per test session through the command line."
    out = tmp_path_factory.mktemp('data')/'shapes'
    run_cli('data', 'shapes', '--out', out, '--n-images', 300, '--seed', 11)
    return out


@pytest.fixture(scope='session')
def shapes_centred(tmp_path_factory):
    "A 120-image dataset of the one-object level (`centred`) that the `*-shapes1` presets train on."
    out = tmp_path_factory.mktemp('centred')/'shapes'
    run_cli('data', 'shapes', '--out', out, '--n-images', 120, '--seed', 11, '--level', 'centred')
    return out
