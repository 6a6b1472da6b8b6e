"""Open search over a large molecule bank: exact FAISS search against the inverted file (`FaissBank(index='ivf')`).

A bank of `--n` vectors of dimension `--dim` (default 1.9 M x 512: the size of the benchmark's SMILES corpus in MiniMol's
space) is made up, either clustered (`--data clustered`: `--clusters` Gaussian clusters, as embeddings of real molecules
cluster by chemistry; recall is meaningful) or uniform on the sphere (`--data random`: the worst case for any index, fine
for speed). Queries are drawn like the bank. For the exact index and for the inverted file at each `--nprobe`, it prints
the build seconds, queries/s in batches of `--batch` and recall@10 against the exact top 10.

    .venv/bin/python benchmarks/open_search.py --n 200000 --queries 500          # a minute
    .venv/bin/python benchmarks/open_search.py --threads 2 --json runs/open_search.json   # the full 1.9 M bank, ~12 GB of memory
"""
import argparse, time

import numpy as np
import pandas as pd

from specbridge_nb.core import write_json
from specbridge_nb.retrieval import FaissBank
from benchmarks_common import cpu_name


def make_bank(n:int, dim:int, kind:str, clusters:int, n_queries:int, seed:int=0):
    "Bank vectors (n, dim) and queries (n_queries, dim), float32."
    rng = np.random.default_rng(seed)
    if kind == 'random': return (rng.standard_normal((n, dim), dtype=np.float32), rng.standard_normal((n_queries, dim), dtype=np.float32))
    centres = rng.standard_normal((clusters, dim), dtype=np.float32) * 2
    draw = lambda m: centres[rng.integers(0, clusters, m)] + rng.standard_normal((m, dim), dtype=np.float32)
    return np.concatenate([draw(min(100_000, n - i)) for i in range(0, n, 100_000)]), draw(n_queries)


def timed_search(bank, q, k:int, batch:int):
    "Keys of the top k for every query, and queries/s over batches of `batch`."
    keys, t = [], time.perf_counter()
    for i in range(0, len(q), batch): keys.append(bank.search(q[i:i + batch], k)[1])
    return np.concatenate(keys), len(q) / (time.perf_counter() - t)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=1_900_000, help='bank vectors')
    p.add_argument('--dim', type=int, default=512)
    p.add_argument('--data', default='clustered', choices=['clustered', 'random'])
    p.add_argument('--clusters', type=int, default=20_000, help='clusters of the clustered bank')
    p.add_argument('--queries', type=int, default=2000)
    p.add_argument('--batch', type=int, default=100, help='queries per search call')
    p.add_argument('--nlist', type=int, default=None, help="IVF cells (default: FaissBank's, 4 * sqrt(n))")
    p.add_argument('--nprobe', default='8,32,128', help='comma-separated IVF cells read per query')
    p.add_argument('--threads', type=int, default=None, help='FAISS threads (default: all cores)')
    p.add_argument('--json', default=None)
    a = p.parse_args(argv)
    import faiss
    if a.threads: faiss.omp_set_num_threads(a.threads)
    x, q = make_bank(a.n, a.dim, a.data, a.clusters, a.queries)
    keys = np.arange(a.n).astype(str)
    rows = []
    t = time.perf_counter(); exact = FaissBank(x, keys); build = time.perf_counter() - t
    truth, qps = timed_search(exact, q, 10, a.batch)
    rows.append(dict(index='flat (exact)', nprobe=None, build_s=build, queries_per_s=qps, recall_at_10=1.0))
    del exact
    t = time.perf_counter(); ivf = FaissBank(x, keys, index='ivf', nlist=a.nlist); build = time.perf_counter() - t
    for nprobe in map(int, a.nprobe.split(',')):
        ivf.index.nprobe = ivf.nprobe = min(nprobe, ivf.index.nlist)
        got, qps = timed_search(ivf, q, 10, a.batch)
        rec = float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, truth)]))
        rows.append(dict(index=f'ivf nlist={ivf.index.nlist}', nprobe=ivf.nprobe, build_s=build, queries_per_s=qps, recall_at_10=rec))
    df = pd.DataFrame(rows)
    print(f'{cpu_name()}, FAISS threads {faiss.omp_get_max_threads()}, bank {a.n} x {a.dim} ({a.data}), {a.queries} queries in batches of {a.batch}')
    print(df.to_string(index=False, float_format=lambda v: f'{v:.3f}'))
    if a.json: write_json(dict(cpu=cpu_name(), threads=faiss.omp_get_max_threads(), args=vars(a), rows=rows), a.json)


if __name__ == '__main__':
    main()
