"""Repository hygiene: notebooks are the source, experiment notebooks are clean papermill inputs."""
import ast, filecmp, re, shutil, subprocess, sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS, LIB = ROOT/'nbs', ROOT/'specbridge_nb'
BIN = Path(sys.executable).parent
LIBRARY_NOTEBOOKS = sorted(NBS.glob('[0-9]*.ipynb'))
EXPERIMENTS = sorted((NBS/'experiments').glob('E*.ipynb'))


def default_exp(nb_path):
    "The module a notebook exports to, from its `#| default_exp` directive."
    for c in nbformat.read(nb_path, as_version=4).cells:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', c.source, re.M) if c.cell_type == 'code' else None
        if m: return m.group(1)


def test_every_module_has_its_notebook():
    modules = {p.stem for p in LIB.glob('*.py') if not p.name.startswith('_')}
    exported = {default_exp(nb) for nb in LIBRARY_NOTEBOOKS}
    assert modules - exported == set(), f'modules without a notebook: {sorted(modules - exported)}'
    assert None not in exported, 'a library notebook lacks `#| default_exp`'


def test_exported_modules_match_notebooks(tmp_path):
    "A fresh `nbdev_export` of the notebooks reproduces specbridge_nb/ byte for byte."
    for name in ('nbs', 'specbridge_nb'):
        shutil.copytree(ROOT/name, tmp_path/name, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
    shutil.copy(ROOT/'settings.ini', tmp_path)
    subprocess.run([BIN/'nbdev_export'], cwd=tmp_path, check=True, capture_output=True)
    cmp = filecmp.dircmp(LIB, tmp_path/'specbridge_nb', ignore=['__pycache__'])
    assert (cmp.diff_files, cmp.left_only, cmp.right_only) == ([], [], []), \
        f'specbridge_nb/ differs from the notebooks: edit the notebook and run nbdev_export ({cmp.diff_files or cmp.left_only or cmp.right_only})'


def test_library_notebooks_are_clean(tmp_path):
    "`nbdev_clean` would change nothing: no stray outputs, execution counts or metadata noise."
    for nb in LIBRARY_NOTEBOOKS + EXPERIMENTS: shutil.copy(nb, tmp_path/nb.name)
    shutil.copy(ROOT/'settings.ini', tmp_path)
    subprocess.run([BIN/'nbdev_clean', '--fname', str(tmp_path)], cwd=tmp_path, check=True, capture_output=True)
    dirty = [nb.name for nb in LIBRARY_NOTEBOOKS + EXPERIMENTS if (tmp_path/nb.name).read_bytes() != nb.read_bytes()]
    assert dirty == [], f'run nbdev_clean on: {dirty}'


@pytest.mark.parametrize('nb_path', EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_notebook_shape(nb_path):
    "Experiments: a `parameters` cell, no outputs, a kernelspec, no exports and no function definitions (named lambdas included)."
    nb = nbformat.read(nb_path, as_version=4)
    assert nb.metadata.get('kernelspec', {}).get('name'), 'papermill needs a kernelspec'
    code = [c for c in nb.cells if c.cell_type == 'code']
    assert sum('parameters' in c.metadata.get('tags', []) for c in code) == 1, 'exactly one cell tagged `parameters`'
    assert all(not c.outputs and c.execution_count is None for c in code), 'experiment notebooks carry no outputs'
    for c in code:
        assert '#| export' not in c.source and '#| default_exp' not in c.source, 'experiments are never exported'
        tree = ast.parse('\n'.join(l for l in c.source.splitlines() if not l.lstrip().startswith(('%', '!'))))
        assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(tree)), \
            'reusable code belongs in a library notebook'
        named = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Lambda)]
        assert not named, f'a named lambda is a function definition: reusable code belongs in a library notebook (line {named[0].lineno if named else 0})'
