"""Run every library notebook with nbdev's own notebook tester; cells flagged in settings.ini `tst_flags` are skipped."""
from pathlib import Path

import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook_tests  # aliased so pytest does not collect it as a test

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_NOTEBOOKS = sorted((ROOT/'nbs').glob('[0-9]*.ipynb'))


def test_there_are_library_notebooks():
    assert len(LIBRARY_NOTEBOOKS) >= 1, 'no library notebooks found in nbs/'


@pytest.mark.parametrize('nb', LIBRARY_NOTEBOOKS, ids=lambda p: p.stem)
def test_library_notebook(nb):
    ok, _ = run_notebook_tests(nb, skip_flags=get_config(path=ROOT).tst_flags.split(), showerr=True)
    assert ok, f'{nb.name}: a cell failed (traceback above)'
