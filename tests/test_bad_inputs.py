"""A catalogue of malformed inputs and unsafe outputs: each ends in a clear error naming the file (and row and field where
there is one), or in a warning for what is suspicious but readable, never in a traceback from a library or a silent result.

Every case is one function call on a small file written here; the reading functions are the ones every command uses."""
import argparse, contextlib, gzip, io, json, os, re, signal, subprocess, sys, time, warnings
from pathlib import Path

import pytest
import torch
from fastcore.script import anno_parser

from specbridge_nb.annotate import read_unknown_spectra, specbridge_annotate
from specbridge_nb.baselines import FingerprintFFN, load_fingerprint_model, save_fingerprint_model
from specbridge_nb.core import InputError, atomic_write, command_outputs, load_torch, read_json, stale_temporaries
from specbridge_nb.data import _tiny_benchmark, check_candidate_pools, load_benchmark, read_candidates, read_corpus, write_candidates
from specbridge_nb.pipeline import run_chain, specbridge_reproduce
from specbridge_nb.spectra import MSG_COLUMNS, check_precursor_mz, read_mgf, read_msg_tsv, read_msp
from specbridge_nb.spectrum_encoder import DreamsConfig, DreamsEncoder, load_dreams_checkpoint, save_dreams_checkpoint
from specbridge_nb.commands import TINY_RECIPE, evaluate_from_files, recipe_target, specbridge_evaluate, specbridge_train, train_from_benchmark
from specbridge_nb.model import SpecBridgeConfig
from specbridge_nb.train import load_specbridge

GOOD_ROW = ['EX01', '110.0713,138.0662,195.0877', '0.21,1.0,0.43', 'test', 'Cn1c(=O)c2c(ncn2C)n(C)c1=O', 'RYYVLZVUVIJVGH',
            'C8H10N4O2', 'C8H11N4O2', '194.080376', '195.0877', '[M+H]+', 'QTOF', '20.0', 'DEMO-1', 'CC0']
HEADER = '\t'.join(MSG_COLUMNS)


def row(i=1, **kw):
    "The good row with some fields changed (a unique identifier)."
    cells = list(GOOD_ROW); cells[0] = f'R{i:02d}'
    for k, v in kw.items(): cells[MSG_COLUMNS.index(k)] = v
    return '\t'.join(cells)


def expect(exc, *parts):
    "pytest.raises that also checks that every regex in `parts` occurs in the message."
    @contextlib.contextmanager
    def ctx():
        with pytest.raises(exc) as e: yield e
        for p in parts: assert re.search(p, str(e.value)), f'{p!r} not in {str(e.value)!r}'
    return ctx()


# ---------------------------------------------------------------- spectra TSV: (rows after the header, message parts)
TSV_CASES = {
    'unparseable m/z': ([row(mzs='110.07,abc,195.08')], r"row 2, field 'mzs': unparseable number 'abc'"),
    'unequal peak counts': ([row(intensities='0.2,1.0')], r"row 2, field 'intensities': 3 m/z values but 2 intensities"),
    'empty spectrum': ([row(mzs='', intensities='')], r"row 2, field 'mzs': empty spectrum"),
    'NaN intensity': ([row(intensities='nan,1,1')], r"row 2, field 'intensities': non-finite value"),
    'infinite m/z': ([row(mzs='110.07,inf,195.08')], r"row 2, field 'mzs': non-finite value"),
    'negative intensity': ([row(intensities='-1,1,1')], r"row 2, field 'intensities': negative intensity"),
    'zero m/z': ([row(mzs='0,138.07,195.08')], r"row 2, field 'mzs': non-positive m/z"),
    'all intensities zero': ([row(intensities='0,0,0')], r"row 2, field 'intensities': all intensities are zero"),
    'negative precursor': ([row(precursor_mz='-5')], r"row 2, field 'precursor_mz': must be finite and > 0"),
    'missing precursor': ([row(precursor_mz='')], r"row 2, field 'precursor_mz': missing value"),
    'precursor not a number': ([row(precursor_mz='abc')], r"row 2, field 'precursor_mz': not a number"),
    'unknown adduct': ([row(adduct='[M+Xe]+')], r"row 2, field 'adduct': unknown adduct"),
    'unknown fold': ([row(fold='holdout')], r"row 2, field 'fold': unknown fold 'holdout'"),
    'unparseable SMILES': ([row(smiles='C1CC')], r"row 2, field 'smiles': unparseable SMILES"),
    'missing SMILES': ([row(smiles='')], r"row 2, field 'smiles': missing value"),
    'duplicate identifier': ([row(1), row(1)], r"row 3, field 'identifier': duplicate identifier 'R01' \(first at row 2\)"),
    'collision energy text': ([row(collision_energy='high')], r"row 2, field 'collision_energy': not a number"),
    'missing tab': ([row()[:row().rindex('\t')]], r"row 2: expected 15 tab-separated fields, found 14"),
    'extra tab': ([row() + '\textra'], r"row 2: expected 15 tab-separated fields, found 16"),
    'bad row after good ones': ([row(1), row(2), row(3, intensities='1,-2,1')], r"row 4, field 'intensities'"),
}


@pytest.mark.parametrize('case', TSV_CASES)
def test_tsv_rows(case, tmp_path):
    rows, msg = TSV_CASES[case]
    p = tmp_path/'spectra.tsv'; p.write_text('\n'.join([HEADER, *rows]) + '\n')
    with expect(InputError, r'^spectra\.tsv, ' + msg): read_msg_tsv(p)


FILE_CASES = {  # whole-file problems: (bytes of the file, message parts)
    'empty file': (b'', r'spectra\.tsv: empty file'),
    'missing column': ('\t'.join(c for c in MSG_COLUMNS if c != 'adduct').encode() + b'\n',
                       r"spectra\.tsv, row 1: missing required columns \['adduct'\]"),
    'duplicate column': ((HEADER + '\tfold\n').encode(), r"spectra\.tsv, row 1: duplicate columns \['fold'\]"),
    'not UTF-8': ((HEADER + '\n' + row(instrument_type='Caf\xe9')).encode('latin-1'), r'spectra\.tsv: not UTF-8 text: byte 0xe9'),
    'truncated gzip': (gzip.compress((HEADER + '\n' + os.urandom(4000).hex()).encode())[:300],
                       r'spectra\.tsv: truncated or corrupt gzip data'),
    'binary file': (os.urandom(64) + b'\xff\xfe', r'spectra\.tsv: (not UTF-8|truncated)'),
}


@pytest.mark.parametrize('case', FILE_CASES)
def test_tsv_files(case, tmp_path):
    content, msg = FILE_CASES[case]
    p = tmp_path/'spectra.tsv'; p.write_bytes(content)
    with expect(InputError, msg): read_msg_tsv(p)


def test_tsv_folder_and_missing_file(tmp_path):
    with expect(InputError, r'is a folder, but a file is needed'): read_msg_tsv(tmp_path)
    with expect(FileNotFoundError, r'nowhere\.tsv: no such file'): read_msg_tsv(tmp_path/'nowhere.tsv')


def test_tsv_byte_order_mark_is_read(tmp_path):
    p = tmp_path/'bom.tsv'; p.write_bytes(b'\xef\xbb\xbf' + ('\n'.join([HEADER, row()]) + '\n').encode())
    assert read_msg_tsv(p).identifier.tolist() == ['R01']


def test_precursor_far_from_molecule(tmp_path):
    p = tmp_path/'spectra.tsv'; p.write_text('\n'.join([HEADER, row(1), row(2, precursor_mz='395.0877')]) + '\n')
    df = read_msg_tsv(p)
    with pytest.warns(UserWarning, match=r'spectra\.tsv: 1 of 2 spectra have a precursor m/z more than 50 ppm .*R02: 395\.0877 vs 195\.0877'):
        assert check_precursor_mz(df, file=p).identifier.tolist() == ['R02']
    with expect(InputError, r"spectra\.tsv, field 'precursor_mz': 1 of 2 spectra"): check_precursor_mz(df, strict=True, file=p)


# ---------------------------------------------------------------- candidate pools
CAND_CASES = {  # (file text, message parts)
    'invalid JSON': ('{"CCO": ["CCO", }', r'cands\.json, row 1: invalid JSON'),
    'a list, not an object': ('[["CCO"]]', r'cands\.json: expected a JSON object'),
    'query twice': ('{"CCO": ["CCO", "CCN"], "CCO": ["OCC"]}', r"cands\.json, field 'CCO': key 'CCO' appears more than once"),
    'empty pool': ('{"CCO": []}', r"cands\.json, row 1, field 'CCO': candidate list must be a non-empty list"),
    'number among candidates': ('{"CCO": ["CCO", 5]}', r"cands\.json, row 1, field 'CCO': candidates must be non-empty SMILES"),
    'empty string candidate': ('{"CCO": ["CCO", ""]}', r"cands\.json, row 1, field 'CCO': candidates must be non-empty SMILES"),
}


@pytest.mark.parametrize('case', CAND_CASES)
def test_candidate_files(case, tmp_path):
    text, msg = CAND_CASES[case]
    p = tmp_path/'cands.json'; p.write_text(text)
    with expect(InputError, msg): read_candidates(p)


POOL_CASES = {  # ({query: pool}, message parts) for the query CCO
    'query not in its pool': ({'CCO': ['CCN', 'CCC']}, r"candidate list does not contain its query"),
    'same decoy twice': ({'CCO': ['CCO', 'CCN', 'CCN']}, r"candidates 'CCN' and 'CCN' are the same molecule"),
    'decoy and its salt': ({'CCO': ['CCO', 'CCN', 'CCN.Cl']}, r"candidates 'CCN' and 'CCN\.Cl' are the same molecule"),
    'two spellings of the query': ({'CCO': ['CCO', 'OCC']}, r"candidates 'CCO' and 'OCC' are the same molecule"),
    'stereoisomers': ({'CCO': ['CCO', 'C[C@H](N)C(=O)O', 'C[C@@H](N)C(=O)O']}, r"candidates 'C\[C@H\]\(N\)C\(=O\)O' and 'C\[C@@H\]"),
    'unparseable candidate': ({'CCO': ['CCO', 'C1C']}, r"unparseable SMILES 'C1C'"),
    'no pool for the query': ({'CCN': ['CCN']}, r"no candidate list for query 'CCO'"),
}


@pytest.mark.parametrize('case', POOL_CASES)
def test_candidate_pools(case, tmp_path):
    pools, msg = POOL_CASES[case]
    with expect(InputError, r"cands\.json, field 'CCO': " + msg): check_candidate_pools(['CCO'], pools, file=tmp_path/'cands.json')


def test_salt_form_of_the_query_is_the_query():
    assert check_candidate_pools(['CCO'], {'CCO': ['CCN', 'CCO.Cl']}).positive_index.tolist() == [1]


def test_candidate_file_encodings(tmp_path):
    (tmp_path/'c.json.gz').write_bytes(gzip.compress(json.dumps({'CCO': ['CCO'] * 500}).encode())[:40])
    with expect(InputError, r'c\.json\.gz: truncated or corrupt gzip'): read_candidates(tmp_path/'c.json.gz')
    (tmp_path/'c.json').write_bytes('{"CCO": ["CCO"], "caf\xe9": ["CCO"]}'.encode('latin-1'))
    with expect(InputError, r'c\.json: not UTF-8'): read_candidates(tmp_path/'c.json')
    with expect(InputError, r'is a folder'): read_candidates(tmp_path)


# ---------------------------------------------------------------- MGF and MSP
def mgf(peaks='110.0713 0.21\n138.0662 1.0', pepmass='195.0877', extra=''):
    return (f'BEGIN IONS\nIDENTIFIER=X1\nSMILES=Cn1c(=O)c2c(ncn2C)n(C)c1=O\nPEPMASS={pepmass}\nADDUCT=[M+H]+\n{extra}'
            f'{peaks}\nEND IONS\n')


def msp(peaks='110.0713\t0.21\n138.0662\t1.0', n=2):
    return f'Name: X1\nSMILES: Cn1c(=O)c2c(ncn2C)n(C)c1=O\nPrecursorMZ: 195.0877\nPrecursor_type: [M+H]+\nNum Peaks: {n}\n{peaks}\n\n'


PEAK_FILE_CASES = {  # (reader, file name, text, message parts)
    'MGF negative intensity': (read_mgf, 'x.mgf', mgf('55.0 -1.0\n138.0662 1.0'), r"x\.mgf, row 1, field 'peaks': line 6 .*negative intensity -1\.0"),
    'MGF negative m/z': (read_mgf, 'x.mgf', mgf('-41.0 0.5\n138.0662 1.0'), r"x\.mgf, row 1, field 'peaks'.*m/z must be > 0, got -41\.0"),
    'MGF word in a peak': (read_mgf, 'x.mgf', mgf('110.0713 lots'), r"x\.mgf, row 1, field 'peaks'.*a peak must be two numbers"),
    'MGF one number': (read_mgf, 'x.mgf', mgf('110.0713'), r"x\.mgf, row 1, field 'peaks'.*a peak must be two numbers"),
    'MGF NaN intensity': (read_mgf, 'x.mgf', mgf('110.0713 nan'), r"x\.mgf, row 1, field 'peaks'.*non-finite value"),
    'MGF bad second record': (read_mgf, 'x.mgf', mgf() + mgf('110.0713 -0.2'), r"x\.mgf, row 2, field 'peaks'"),
    'MGF empty': (read_mgf, 'x.mgf', '\n\n', r'x\.mgf: no MGF records'),
    'MGF no peaks': (read_mgf, 'x.mgf', mgf(''), r"x\.mgf, row 1, field 'mzs': empty spectrum"),
    'MGF no precursor': (read_mgf, 'x.mgf', mgf().replace('PEPMASS=195.0877\n', ''), r"x\.mgf, row 1, field 'precursor_mz': missing value"),
    'MGF unknown adduct': (read_mgf, 'x.mgf', mgf().replace('[M+H]+', '[M+Q]+'), r"x\.mgf, row 1, field 'adduct': unknown adduct"),
    'MSP negative intensity': (read_msp, 'x.msp', msp('55.0\t-1.0\n138.0662\t1.0'), r"x\.msp, row 1, field 'peaks'.*negative intensity"),
    'MSP negative m/z': (read_msp, 'x.msp', msp('-41.0\t0.5\n138.0662\t1.0'), r"x\.msp, row 1, field 'peaks'.*m/z must be > 0"),
    'MSP pair without intensity': (read_msp, 'x.msp', msp('110.0713; 138.0662 1.0', n=2), r"x\.msp, row 1, field 'peaks'.*two numbers"),
    'MSP empty': (read_msp, 'x.msp', '', r'x\.msp: no MSP records'),
    'MSP wrong Num Peaks': (read_msp, 'x.msp', msp(n=3) + msp(), r'x\.msp, row 1: file has 2 MSP records but matchms parsed 0; check this record'),
}


@pytest.mark.parametrize('case', PEAK_FILE_CASES)
def test_mgf_msp(case, tmp_path):
    reader, name, text, msg = PEAK_FILE_CASES[case]
    p = tmp_path/name; p.write_text(text)
    with expect(InputError, msg): reader(p)


def test_mgf_msp_containers(tmp_path):
    (tmp_path/'x.mgf.gz').write_bytes(gzip.compress(mgf().encode() * 50)[:60])
    with expect(InputError, r'x\.mgf\.gz: truncated or corrupt gzip'): read_mgf(tmp_path/'x.mgf.gz')
    (tmp_path/'x.msp').write_bytes(gzip.compress(msp().encode()))
    with expect(InputError, r'x\.msp: gzip-compressed MSP is not supported'): read_msp(tmp_path/'x.msp')
    (tmp_path/'ok.mgf').write_text(mgf())
    assert read_mgf(tmp_path/'ok.mgf').identifier.tolist() == ['X1']


# ---------------------------------------------------------------- a benchmark folder
def test_benchmark_folders(tmp_path):
    with expect(InputError, r'nowhere: benchmark folder does not exist'): load_benchmark(tmp_path/'nowhere')
    d = _tiny_benchmark(tmp_path/'b')
    (d/'candidates_formula.json').write_text('{"NCCc1ccccc1": ["NCCc1ccccc1", "CNCc1ccccc1"]}')
    with expect(InputError, r"candidates_formula\.json, field 'Cc1ccc\(CN\)cc1': no candidate list for query"): load_benchmark(d)
    write_candidates({'NCCc1ccccc1': ['NCCc1ccccc1', 'CNCc1ccccc1', 'NCCc1ccccc1.Cl'], 'Cc1ccc(CN)cc1': ['Cc1ccc(CN)cc1']},
                     d/'candidates_formula.json')
    with expect(InputError, r"candidates 'NCCc1ccccc1' and 'NCCc1ccccc1\.Cl' are the same molecule"): load_benchmark(d)
    (d/'smiles_corpus.txt').write_bytes(b'CCO\n\xff\xfeC\n')
    with expect(InputError, r'smiles_corpus\.txt: not UTF-8'): read_corpus(d/'smiles_corpus.txt')


# ---------------------------------------------------------------- checkpoints
def test_checkpoints(tmp_path):
    torch.save({'x': torch.ones(5000)}, tmp_path/'ok.pt')
    (tmp_path/'cut.pt').write_bytes((tmp_path/'ok.pt').read_bytes()[:3000])
    with expect(InputError, r'cut\.pt: not a readable PyTorch file'): load_torch(tmp_path/'cut.pt')
    (tmp_path/'m').mkdir(); (tmp_path/'m'/'model.pt').write_bytes((tmp_path/'ok.pt').read_bytes()[:3000])
    with expect(InputError, r'model\.pt: not a readable PyTorch file'): load_specbridge(tmp_path/'m')
    (tmp_path/'m'/'model.pt').write_text('a note, not a model')
    with expect(InputError, r'model\.pt: not a readable PyTorch file'): load_specbridge(tmp_path/'m')
    with expect(InputError, r'no model\.pt here'): load_specbridge(tmp_path)
    ck = save_dreams_checkpoint(tmp_path/'ssl.ckpt', DreamsEncoder(DreamsConfig.small(n_layers=1, d_ff=32, ff_fourier_d=16)))
    (tmp_path/'ssl_cut.ckpt').write_bytes(Path(ck).read_bytes()[:5000])
    with expect(InputError, r'ssl_cut\.ckpt: not a readable PyTorch checkpoint'): load_dreams_checkpoint(tmp_path/'ssl_cut.ckpt')
    save_fingerprint_model(tmp_path/'ffn.pt', FingerprintFFN(d_hidden=8, n_bits=16))
    (tmp_path/'ffn_cut.pt').write_bytes((tmp_path/'ffn.pt').read_bytes()[:2000])
    with expect(InputError, r'ffn_cut\.pt: not a readable PyTorch file'): load_fingerprint_model(tmp_path/'ffn_cut.pt')


# ---------------------------------------------------------------- configuration and command-line values
@pytest.mark.parametrize('kw,msg', [(dict(max_steps=-3), 'max_steps must be None or a whole number > 0'),
                                    (dict(epochs=0), 'epochs must be a whole number > 0'),
                                    (dict(lr=float('nan')), 'lr must be a finite number > 0'),
                                    (dict(batch_size=0), 'batch_size must be a whole number > 0'),
                                    (dict(objective='triplet'), "objective must be one of"),
                                    (dict(precursor_mz='exact'), "precursor_mz must be one of")])
def test_config_values(kw, msg):
    with expect(InputError, msg): SpecBridgeConfig.small(**kw)


CLI_CASES = [(specbridge_evaluate, ['--batch_size', '0'], r'argument --batch_size: must be a whole number > 0'),
             (specbridge_evaluate, ['--n_boot', '-1'], r'argument --n_boot: must be a whole number >= 0'),
             (specbridge_evaluate, ['--device', 'gpu'], r"argument --device: unknown device 'gpu'"),
             (specbridge_evaluate, ['--precursor_ppm', 'nan'], r'argument --precursor_ppm: must be a finite number > 0'),
             (specbridge_train, ['--lr', 'nan'], r'argument --lr: must be a finite number > 0'),
             (specbridge_train, ['--max_steps', '-3'], r'argument --max_steps: must be a whole number > 0'),
             (specbridge_train, ['--epochs', '0'], r'argument --epochs: must be a whole number > 0'),
             (specbridge_train, ['--batch_size', 'many'], r'argument --batch_size: must be a whole number > 0'),
             (specbridge_train, ['--unfrozen_blocks', '-1'], r'argument --unfrozen_blocks: must be a whole number >= 0'),
             (specbridge_evaluate, ['--precision', 'fp16'], r"argument --precision: unknown precision 'fp16'"),
             (specbridge_annotate, ['--precision', 'half'], r"argument --precision: unknown precision 'half'"),
             (specbridge_annotate, ['--ppm', '0'], r'argument --ppm: must be a finite number > 0'),
             (specbridge_annotate, ['--top', '0'], r'argument --top: must be a whole number > 0'),
             (specbridge_annotate, ['--report_spectra', '-1'], r'argument --report_spectra: must be a whole number >= 0')]
if not torch.cuda.is_available():
    CLI_CASES.append((specbridge_train, ['--device', 'cuda'], r'argument --device: .*torch sees no CUDA device'))


@pytest.mark.parametrize('cli,argv,msg', CLI_CASES, ids=lambda x: ' '.join(x) if isinstance(x, list) else getattr(x, '__name__', ''))
def test_command_line_values(cli, argv, msg, capsys):
    with pytest.raises(SystemExit) as e: anno_parser(getattr(cli, '__wrapped__', cli)).parse_args(argv)
    assert e.value.code == 2 and re.search(msg, capsys.readouterr().err)


def cli_error(f, **kw):
    "The message a command exits with (`sys.exit(message)`)."
    with pytest.raises(SystemExit) as e: getattr(f, '__wrapped__', f)(**kw)
    return str(e.value.code)


def test_train_command_errors(tmp_path):
    d = _tiny_benchmark(tmp_path/'b')
    assert cli_error(specbridge_train, data=str(d), out=str(tmp_path/'m'), target='chemberta').startswith(
        "specbridge_train: error: field 'target': unknown target 'chemberta'")
    assert 'MiniMol takes no model name and no pooling' in cli_error(specbridge_train, data=str(d), out=str(tmp_path/'m'),
                                                                    target='minimol', target_pooling='cls')
    assert "unknown recipe 'huge'" in cli_error(specbridge_train, data=str(d), out=str(tmp_path/'m'), recipe='huge')
    assert 'both --data DIR and --out MODEL_DIR are required' in cli_error(specbridge_train, data=str(d))


# ---------------------------------------------------------------- outputs: never half-written, never silently replaced
@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    "A SpecBridge trained for a few steps on the three-spectrum benchmark (random encoder, MiniMol target)."
    root, old = tmp_path_factory.mktemp('tiny'), os.environ.get('SPECBRIDGE_DATA_DIR')
    os.environ['SPECBRIDGE_DATA_DIR'] = str(root/'data')  # the caches of these tests stay in their folder
    try:
        d = _tiny_benchmark(root/'bench')
        train_from_benchmark(d, root/'model', 'tiny', dict(proj_out=512, encoder_init='random'),
                             recipe_target(TINY_RECIPE, 'minimol', transform='none'), progress=False, device='cpu')
        yield d, root/'model'
    finally:
        if old is None: os.environ.pop('SPECBRIDGE_DATA_DIR')
        else: os.environ['SPECBRIDGE_DATA_DIR'] = old


def test_evaluate_outputs(tiny_model, tmp_path):
    d, model = tiny_model
    kw = dict(spectra=d/'tiny_msg.tsv', candidates=d/'candidates_formula.json', model=model, n_boot=5, progress=False)
    out = tmp_path/'m.json'
    evaluate_from_files(out=out, **kw)
    before = [out.read_bytes(), (tmp_path/'m_ranks.csv').read_bytes()]
    with expect(InputError, r"m\.json, field 'out': exists already; pass --overwrite"): evaluate_from_files(out=out, **kw)
    assert [out.read_bytes(), (tmp_path/'m_ranks.csv').read_bytes()] == before
    evaluate_from_files(out=out, overwrite=True, **kw)
    (tmp_path/'folder.json').mkdir()
    with expect(InputError, r"folder\.json, field 'out': is a folder"): evaluate_from_files(out=tmp_path/'folder.json', **kw)
    assert not (tmp_path/'folder_ranks.csv').exists()  # refused before any output was written
    with expect(InputError, r'm\.json is a file, not a folder'): evaluate_from_files(out=out/'x.json', **kw)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['folder.json', 'm.json', 'm_ranks.csv']  # no leftovers


def test_evaluate_command_messages(tiny_model, tmp_path):
    d, model = tiny_model
    kw = dict(spectra=str(d/'tiny_msg.tsv'), candidates=str(d/'candidates_formula.json'), model=str(model), quiet=True, n_boot=5)
    assert cli_error(specbridge_evaluate, **kw, out=str(tmp_path)).endswith("field 'out': is a folder; give the path of a file to write")
    (tmp_path/'cands.json').write_text('{"Cc1ccc(CN)cc1": ["Cc1ccc(CN)cc1", "NCCc1ccccc1", "Cc1ccc(CN)cc1"]}')
    assert 'are the same molecule' in cli_error(specbridge_evaluate, **kw | dict(candidates=str(tmp_path/'cands.json')),
                                                out=str(tmp_path/'e.json'))
    model_copy = tmp_path/'cut'; model_copy.mkdir(); (model_copy/'model.pt').write_bytes((model/'model.pt').read_bytes()[:4000])
    assert 'model.pt: not a readable PyTorch file' in cli_error(specbridge_evaluate, **kw | dict(model=str(model_copy)),
                                                                  out=str(tmp_path/'e.json'))
    assert not (tmp_path/'e.json').exists()


def test_killed_write_leaves_nothing_behind(tmp_path):
    "A process killed while writing leaves its temporary file; the next write to the same target removes it."
    target = tmp_path/'big.bin'
    code = ('import time, sys\nfrom specbridge_nb.core import atomic_write\n'
            f'with atomic_write({str(target)!r}, "wb") as f:\n    f.write(b"x" * 1000); f.flush(); print("writing", flush=True); time.sleep(60)\n')
    p = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == 'writing'
    os.kill(p.pid, signal.SIGKILL); p.wait()
    left = [q for q in tmp_path.iterdir() if q.name.startswith('.big.bin.')]
    assert len(left) == 1 and not target.exists() and stale_temporaries(target) == left
    with atomic_write(target, 'wb') as f: f.write(b'complete')
    assert sorted(q.name for q in tmp_path.iterdir()) == ['big.bin'] and target.read_bytes() == b'complete'


def test_command_outputs_all_or_nothing(tmp_path):
    with pytest.raises(RuntimeError, match='wrote no'):
        with command_outputs(tmp_path/'a.txt', tmp_path/'b.txt') as (ta, tb): ta.write_text('only one')
    assert list(tmp_path.iterdir()) == []


def test_reproduce_keeps_earlier_figures(tmp_path):
    out = tmp_path/'figures'; out.mkdir(); (out/'MANIFEST.json').write_text('{}')
    d = _tiny_benchmark(tmp_path/'b')
    with expect(InputError, r"figures, field 'out': holds the figures and tables of an earlier run"):
        run_chain('smoke', data=d, only='E01', out_dir=out, runs_dir=tmp_path/'runs')
    (tmp_path/'file').write_text('x')
    with expect(InputError, r"file, field 'out': is a file, not a folder"):
        run_chain('smoke', data=d, only='E01', out_dir=tmp_path/'file', runs_dir=tmp_path/'runs')


# ---------------------------------------------------------------- spectra of unknown molecules (specbridge_annotate)
UNKNOWN_CASES = {  # (file name, text, message parts)
    'tsv without precursor_mz': ('u.tsv', 'identifier\tmzs\tintensities\nq1\t91.05\t1.0\n', ['u.tsv', 'row 1', "missing required columns ['precursor_mz']"]),
    'tsv precursor not a number': ('u.tsv', 'identifier\tmzs\tintensities\tprecursor_mz\nq1\t91.05\t1.0\tabc\n',
                                   ['u.tsv', 'row 2', "field 'precursor_mz'", "not a number: 'abc'"]),
    'mgf without pepmass': ('u.mgf', 'BEGIN IONS\nTITLE=a\n91.05 1.0\nEND IONS\n', ['u.mgf', 'row 1', "field 'precursor_mz'", 'missing value']),
    'mgf negative m/z': ('u.mgf', 'BEGIN IONS\nPEPMASS=100\n-91.05 1.0\nEND IONS\n', ['u.mgf', 'row 1', 'm/z must be > 0']),
    'unknown suffix': ('u.mzML', '<mzML/>', ['u.mzML', "unknown spectrum file type 'mzml'"]),
    'empty mgf': ('u.mgf', '\n', ['u.mgf', 'no MGF records']),
}


@pytest.mark.parametrize('case', UNKNOWN_CASES)
def test_unknown_spectra(case, tmp_path):
    name, text, msg = UNKNOWN_CASES[case]
    (tmp_path/name).write_text(text)
    with pytest.raises(InputError) as e: read_unknown_spectra(tmp_path/name)
    assert all(m in str(e.value) for m in msg), str(e.value)
