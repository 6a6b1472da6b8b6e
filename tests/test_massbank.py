"""The full shared MassBank benchmark loads as is and keeps the invariants its README documents.

Needs `SPECBRIDGE_MASSBANK_DIR` (CI sets it to ../shared/data/massbank). When the variable is set, missing files are a
failure, never a skip."""
import os
from pathlib import Path

import numpy as np
import pytest

from specbridge_nb.data import candidate_labels, load_benchmark, read_corpus
from specbridge_nb.molecules import formula_of, inchikey14, standardize_smiles
from specbridge_nb.spectra import preprocess_batch

DIR = os.environ.get('SPECBRIDGE_MASSBANK_DIR')
pytestmark = pytest.mark.skipif(not DIR, reason='SPECBRIDGE_MASSBANK_DIR is not set (CI sets it to ../shared/data/massbank)')

# From the benchmark's README: fold -> (spectra, molecules, formulas, [M+H]+, [M+Na]+, QTOF, Orbitrap)
EXPECTED = {'train': (34657, 3143, 2408, 34369, 288, 18504, 16153),
            'val': (3970, 388, 301, 3944, 26, 2115, 1855),
            'test': (4333, 363, 301, 4251, 82, 2338, 1995)}


@pytest.fixture(scope='module')
def bench():
    root = Path(DIR)
    assert root.is_dir(), f'SPECBRIDGE_MASSBANK_DIR={DIR} is not a folder'
    for f in ('massbank_msg.tsv.gz', 'candidates_formula.json.gz', 'candidates_massbank_only.json.gz', 'smiles_corpus.txt.gz'):
        assert (root/f).is_file(), f'{root/f} is missing'
    return load_benchmark(root)  # validates every row and every val/test candidate pool


def test_fold_counts(bench):
    for fold, exp in EXPECTED.items():
        df = bench.fold(fold)
        got = (len(df), df.inchikey.nunique(), df.formula.nunique(), (df.adduct == '[M+H]+').sum(),
               (df.adduct == '[M+Na]+').sum(), (df.instrument_type == 'QTOF').sum(), (df.instrument_type == 'Orbitrap').sum())
        assert got == exp, f'{fold}: {got} != {exp}'


def test_folds_are_formula_and_molecule_disjoint(bench):
    s = bench.spectra
    for col in ('formula', 'inchikey'):
        per = s.groupby(col).fold.nunique()
        assert (per == 1).all(), f'{(per > 1).sum()} {col}s occur in several folds'


def test_candidate_pools(bench):
    assert set(bench.candidates) == {'formula', 'massbank_only'}
    queries = set(bench.spectra.smiles[bench.spectra.fold.isin(['val', 'test'])])
    assert len(queries) == 388 + 363
    for name, cands in bench.candidates.items():
        sizes = np.array([len(cands[q]) for q in queries])
        assert sizes.max() <= 256 and sizes.min() >= 1
        assert all(candidate_labels(q, cands[q]).sum() == 1 for q in queries)
    formula = np.array([len(bench.candidates['formula'][q]) for q in bench.fold('test').smiles.unique()])
    assert abs(formula.mean() - 34.7) < 0.1, formula.mean()  # README: test mean 34.7 candidates per molecule


def test_molecules_are_standardised(bench):
    u = bench.spectra.drop_duplicates('smiles')
    assert all(standardize_smiles(s) == s for s in u.smiles)
    assert all(inchikey14(s) == k for s, k in zip(u.smiles, u.inchikey))
    assert all(formula_of(s) == f for s, f in zip(u.smiles, u.formula))


def test_peaks_follow_the_cleaning_rules(bench):
    s = bench.spectra
    assert all(i.max() == 1.0 and len(m) >= 3 and len(m) <= 128 for m, i in zip(s.mz, s.intensity))
    assert all(m.max() <= p + 0.5 for m, p in zip(s.mz, s.precursor_mz))
    x = preprocess_batch(s.iloc[:2000], n_peaks=60)
    assert x.shape == (2000, 61, 2) and np.isfinite(x).all()
    assert np.allclose(x[:, 0, 1], 1.1) and np.allclose(x[:, 0, 0], s.precursor_mz.iloc[:2000])


def test_corpus_excludes_val_test_formulas(bench):
    corpus = read_corpus(bench.corpus_path, n=20000)
    held_out = set(bench.spectra.formula[bench.spectra.fold.isin(['val', 'test'])])
    assert len(corpus) == 20000
    assert not held_out & {formula_of(s) for s in corpus}
