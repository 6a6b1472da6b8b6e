"""Helpers shared by the benchmark scripts: the machine's CPU name and random query spectra."""
import platform

import numpy as np
import pandas as pd


def cpu_name() -> str:
    "The CPU model from /proc/cpuinfo (Linux), else what `platform` knows."
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or platform.machine()

def random_spectra(n:int, n_peaks:int, rng) -> pd.DataFrame:
    "Raw query spectra with n_peaks+20 random fragments below a random precursor, so all top-`n_peaks` rows are filled."
    prec = rng.uniform(150, 900, n)
    return pd.DataFrame(dict(identifier=[f'q{i}' for i in range(n)], precursor_mz=prec,
                             mz=[np.sort(rng.uniform(40, p, n_peaks + 20)) for p in prec],
                             intensity=[rng.exponential(1., n_peaks + 20) for _ in prec]))
