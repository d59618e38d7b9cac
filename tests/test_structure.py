"""The shape of the package: no import cycles between t2i_nb modules, and `import t2i_nb.clip` stays light."""
import ast, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT/'t2i_nb'


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__': parts = parts[:-1]
    return '.'.join(parts)


def module_level_imports(tree: ast.Module):
    "Import statements that run when the module is imported: everything outside function bodies."
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)): continue
        if isinstance(node, (ast.Import, ast.ImportFrom)): yield node
        todo.extend(ast.iter_child_nodes(node))


def import_graph() -> dict:
    "{module: {t2i_nb modules it imports at module level}}, relative imports resolved."
    files = {module_name(p): p for p in sorted(PKG.rglob('*.py')) if p.name != '_modidx.py'}
    graph = {}
    for mod, path in files.items():
        package = mod if path.name == '__init__.py' else mod.rpartition('.')[0]
        deps = set()
        for node in module_level_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = package.split('.')[:len(package.split('.')) - (node.level - 1)]
                    target = '.'.join(base + ([node.module] if node.module else []))
                else:
                    target = node.module
                # `from pkg import sub` imports the submodule pkg.sub when there is one
                targets = [target] + [f'{target}.{a.name}' for a in node.names if f'{target}.{a.name}' in files]
            for t in targets:
                while t and t not in files and '.' in t: t = t.rpartition('.')[0]   # `import a.b.c` -> nearest module
                if t in files and t != mod: deps.add(t)
        graph[mod] = deps
    return graph


def find_cycle(graph: dict):
    "One cycle as a list of modules (first == last), or None."
    state, stack = {}, []
    def visit(m):
        state[m] = 'open'; stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 'open': return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d)): return c
        state[m] = 'done'; stack.pop()
        return None
    for m in sorted(graph):
        if m not in state and (c := visit(m)): return c
    return None


def test_no_import_cycles():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']   # the search itself
    graph = import_graph()
    assert 't2i_nb.clip' in graph and 't2i_nb.eval.metrics' in graph, sorted(graph)
    assert 't2i_nb.core' in graph['t2i_nb.clip']                     # the parser does see relative imports
    cycle = find_cycle(graph)
    assert cycle is None, 'module-level import cycle: ' + ' -> '.join(cycle)


def test_clip_does_not_import_the_eval_package():
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    code = "import sys, t2i_nb.clip; print(sorted(m for m in sys.modules if m.startswith('t2i_nb.eval')))"
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]', f'import t2i_nb.clip also imported {r.stdout.strip()}'


MAX_LINES = 400       # every module readable in one sitting (_modidx.py is nbdev's generated index, not read by people)


def test_no_module_is_longer_than_a_sitting():
    long = {str(p.relative_to(ROOT)): n for p in sorted(PKG.rglob('*.py')) if p.name != '_modidx.py'
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f'modules over {MAX_LINES} lines (split them by concern in their notebooks): {long}'
