"""The `t2i` console script, run as a user runs it."""
from conftest import run_cli


def test_help_lists_the_commands():
    r = run_cli('data', '--help')
    assert all(c in r.stdout for c in ('shapes', 'check', 'card'))


def test_shapes_check_and_card(tmp_path, shapes_small):
    r = run_cli('data', 'check', 'shapes', shapes_small)
    assert 'OK (layout, every caption file and side file read' in r.stdout
    r = run_cli('data', 'card', shapes_small, '--out', tmp_path/'card')
    assert (tmp_path/'card'/'card.md').exists() and 'card.md' in r.stdout


def test_bad_arguments_say_what_to_do(tmp_path):
    r = run_cli('data', 'shapes', '--out', tmp_path/'x', '--size', 1000, check=False)
    assert r.returncode == 2 and 'size must be 32' in r.stderr and 'Traceback' not in r.stderr
    r = run_cli('data', 'check', 'imagenet', tmp_path, check=False)
    assert r.returncode == 2 and 'invalid choice' in r.stderr
    r = run_cli('data', 'card', tmp_path/'nothing', check=False)
    assert r.returncode == 2 and 't2i data shapes --out' in r.stderr and 'Traceback' not in r.stderr


def test_check_reports_a_missing_dataset(tmp_path):
    r = run_cli('data', 'check', 'cub', tmp_path/'birds', check=False)
    assert r.returncode == 1 and 'birds' in r.stdout and 'datasets/README.md' in r.stdout


def test_a_closed_pipe_is_not_a_bug(tmp_path):
    "`t2i concepts --conllu F | head -1`: the reader stops early; t2i stops quietly instead of reporting a bug."
    import subprocess, sys
    sent = ('# text = a red disc\n1\ta\ta\tDET\tDT\t_\t3\tdet\t_\t_\n2\tred\tred\tADJ\tJJ\t_\t3\tamod\t_\t_\n'
            '3\tdisc\tdisc\tNOUN\tNN\t_\t0\troot\t_\t_\n\n')
    f = tmp_path/'many.conllu'; f.write_text(sent * 3000)
    r = subprocess.run(f'{sys.executable} -m t2i_nb concepts --conllu {f} | head -1', shell=True, capture_output=True, text=True)
    assert r.stdout.startswith('{"text": "a red disc"') and r.stdout.count('\n') == 1
    assert 'unexpected error' not in r.stderr and 'Traceback' not in r.stderr, r.stderr
