"""Every experiment notebook of the chain runs once through papermill, on a tiny demo benchmark with the `smoke` profile."""
import json

import pytest

from specbridge_nb.pipeline import CHAIN, run_chain
from specbridge_nb.simulate import make_demo_benchmark


@pytest.fixture(scope='session')
def tiny_benchmark(tmp_path_factory):
    return make_demo_benchmark(tmp_path_factory.mktemp('bench')/'demo', n_molecules=60, spectra_per_molecule=2,
                               pool_size=20_000, seed=0)


@pytest.mark.parametrize('name', CHAIN)
def test_experiment_notebook_runs(name, tiny_benchmark, tmp_path):
    res = run_chain('smoke', data=tiny_benchmark, only=name, out_dir=tmp_path/'out', runs_dir=tmp_path/'runs')
    assert (tmp_path/'runs'/f'{name}.ipynb').is_file(), 'executed copy missing'
    manifest = json.loads(res['manifest'].read_text())
    assert manifest['last_run']['failed'] is None and name in manifest['timings_s']
    written = [f for f in manifest['files'] if f != 'MANIFEST.json']
    assert written and all((tmp_path/'out'/f).stat().st_size > 0 for f in written), f'{name} wrote no figures or tables'
