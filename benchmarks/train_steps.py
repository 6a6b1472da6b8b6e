"""SpecBridge training steps per second at a given size, on random spectra and random frozen targets, written as JSON.

Speed does not depend on the values, so no data or weights are read: `build_specbridge(SpecBridgeConfig.paper(encoder_init=
'random'))` (or `.small()`), batches of random peaks below a random precursor (all 60 peak rows filled, as the paper's
batches mostly are), random unit targets of the model's d_mol, the paper's alignment loss plus the orthogonality penalty,
AdamW over the trainable parameters (the top `n_unfrozen_blocks`, head and mapper, as the recipe trains them). Reported:
median seconds per step after warm-up, steps/s, spectra/s, and on CUDA the peak memory. `--amp bf16` trains under bfloat16
autocast (the weights and the optimiser stay float32).

    .venv/bin/python benchmarks/train_steps.py --size small --steps 5 --warmup 2          # CPU smoke run, a minute
    .venv/bin/python benchmarks/train_steps.py --size paper --device cuda --steps 300 --json runs/train_steps_gpu.json
"""
import argparse, os, statistics, time

import numpy as np
import torch

from specbridge_nb.core import autocast, write_json
from specbridge_nb.losses import alignment_loss, orthogonality_penalty
from specbridge_nb.spectra import preprocess_batch
from specbridge_nb.spectrum_encoder import count_parameters
from specbridge_nb.model import build_specbridge, SpecBridgeConfig

import benchmarks_common as common  # random spectra and the machine's name, shared with throughput.py


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', default='paper', choices=['paper', 'small'])
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu', choices=['cpu', 'cuda'])
    p.add_argument('--batch-size', type=int, default=None, help="spectra per step (default: the size's own, 128)")
    p.add_argument('--steps', type=int, default=300, help='timed steps')
    p.add_argument('--warmup', type=int, default=10, help='untimed steps first')
    p.add_argument('--amp', default='fp32', choices=['fp32', 'bf16'])
    p.add_argument('--json', default=None)
    a = p.parse_args(argv)
    if a.device == 'cuda' and not torch.cuda.is_available(): p.error('--device cuda but torch sees no CUDA device')
    dev, rng = torch.device(a.device), np.random.default_rng(0)
    cfg = (SpecBridgeConfig.paper if a.size == 'paper' else SpecBridgeConfig.small)(encoder_init='random')
    B = a.batch_size or cfg.batch_size
    model = build_specbridge(cfg).to(dev).train()
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr)
    batches = [torch.from_numpy(preprocess_batch(common.random_spectra(B, cfg.n_peaks, rng), n_peaks=cfg.n_peaks)) for _ in range(4)]
    targets = [torch.nn.functional.normalize(torch.randn(B, cfg.d_mol), dim=-1) for _ in range(4)]
    times = []
    for i in range(a.warmup + a.steps):
        x, z = batches[i % 4].to(dev), targets[i % 4].to(dev)
        if dev.type == 'cuda': torch.cuda.synchronize()
        t0 = time.perf_counter()
        with autocast(dev, a.amp):
            loss = alignment_loss(model(x).float(), z, cfg.alignment_kind) + cfg.ortho_weight * orthogonality_penalty(model.mapper.linear.weight)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        if dev.type == 'cuda': torch.cuda.synchronize()
        if i >= a.warmup: times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    res = dict(device=torch.cuda.get_device_name(dev) if dev.type == 'cuda' else common.cpu_name(), torch=torch.__version__,
               torch_threads=torch.get_num_threads(), size=a.size, amp=a.amp, batch_size=B, steps=a.steps, warmup=a.warmup,
               trainable_parameters=count_parameters(model, True), total_parameters=count_parameters(model),
               seconds_per_step=sec, steps_per_s=1 / sec, spectra_per_s=B / sec, final_loss=float(loss),
               peak_memory_gib=torch.cuda.max_memory_allocated(dev) / 2 ** 30 if dev.type == 'cuda' else None,
               loadavg=os.getloadavg())
    print(', '.join(f'{k}={v:.4g}' if isinstance(v, float) else f'{k}={v}' for k, v in res.items()))
    if a.json: print('# wrote', write_json(res, a.json))

if __name__ == '__main__':
    main()
