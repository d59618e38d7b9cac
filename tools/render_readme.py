"""Render README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack).

Markdown cells are copied as they are; code cells become fenced ``python`` blocks; cells tagged or
marked `#| hide` are left out. `python tools/render_readme.py --check` exits 1 when README.md is stale.
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = '<!-- Generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file. -->\n\n'


def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source']).strip('\n')
        if not src or src.lstrip().startswith('#| hide') or src.lstrip().startswith('#|hide'):
            continue
        if cell['cell_type'] == 'markdown':
            parts.append(src)
        elif cell['cell_type'] == 'code':
            lines = [l for l in src.splitlines() if not l.startswith('#|')]
            parts.append('```python\n' + '\n'.join(lines) + '\n```')
    return HEADER + '\n\n'.join(parts) + '\n'


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text, readme = render(), ROOT / 'README.md'
    if '--check' in argv:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            print('README.md is not what nbs/index.ipynb renders to: run `make readme` and commit it.')
            return 1
        return 0
    readme.write_text(text, encoding='utf-8')
    print(f'wrote {readme.relative_to(ROOT)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
