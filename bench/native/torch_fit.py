#!/usr/bin/python3
"""The bench's fit case in native PyTorch (eager; CPU by default): what a user would run instead of weft.

Trains the article's models (the same layers as bench/models.ts) with Adam 1e-3 on the first N
Fashion-MNIST training images, one epoch per timed call after a 2-batch warm-up, and prints one
JSON object: samples/s per model and batch size. Usage:
  torch_fit.py --samples 8192 --batches 32,256 --models mlp,wideDeep,multiInput,multiOutput --threads 2 --repeats 3
Options --device cuda (a GPU machine's comparison: the data lives on the GPU, each timed call ends with a
synchronize) and --data DIR (the folder of the .gz files).
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn

DATA = os.environ.get('WEFT_DATASET_DIR', '/usr/share/datasets/fashion-mnist')


def load(samples, data):
    with gzip.open(f'{data}/train-images-idx3-ubyte.gz') as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:samples]
    with gzip.open(f'{data}/train-labels-idx1-ubyte.gz') as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:samples]
    return torch.from_numpy(images.astype(np.float32) / 255), torch.from_numpy(labels.astype(np.int64))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.h1, self.h2, self.out = nn.Linear(784, 30), nn.Linear(30, 30), nn.Linear(30, 10)

    def forward(self, x):
        return [self.out(torch.relu(self.h2(torch.relu(self.h1(x)))))]


class WideDeep(nn.Module):
    """concat(input, hidden2) → 10; with `split`, wide = pixels 0–391 and deep = 392–783."""

    def __init__(self, split=False, aux=False):
        super().__init__()
        self.split, self.aux = split, aux
        deep_in = 392 if split else 784
        wide_in = 392 if split else 784
        self.h1, self.h2 = nn.Linear(deep_in, 30), nn.Linear(30, 30)
        self.out = nn.Linear(wide_in + 30, 10)
        self.aux_out = nn.Linear(30, 10) if aux else None

    def forward(self, x):
        wide, deep = (x[:, :392], x[:, 392:]) if self.split else (x, x)
        h2 = torch.relu(self.h2(torch.relu(self.h1(deep))))
        outs = [self.out(torch.cat([wide, h2], 1))]
        if self.aux:
            outs.append(self.aux_out(h2))
        return outs


class Cnn(nn.Module):
    """The demo's CNN as bench/models.ts builds it: conv16 3×3 relu → max-pool 2 → conv32 3×3 relu → max-pool 2
    → flatten → dense 64 relu → dropout 0.3 → dense 10 (valid padding, TF.js's default)."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 16, 3), nn.Conv2d(16, 32, 3)
        self.h, self.out, self.drop = nn.Linear(5 * 5 * 32, 64), nn.Linear(64, 10), nn.Dropout(0.3)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = torch.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.c2(x)), 2)
        return [self.out(self.drop(torch.relu(self.h(x.flatten(1)))))]


MODELS = {
    'mlp': (Mlp, [1.0]),
    'wideDeep': (lambda: WideDeep(), [1.0]),
    'multiInput': (lambda: WideDeep(split=True), [1.0]),
    'multiOutput': (lambda: WideDeep(split=True, aux=True), [0.7, 0.3]),
    'cnn': (Cnn, [1.0]),
}


def epoch(model, optimizer, weights, x, y, batch):
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(x), device=x.device)
    for start in range(0, len(x), batch):
        idx = order[start:start + batch]
        xb, yb = x[idx], y[idx]
        optimizer.zero_grad()
        outs = model(xb)
        loss = sum(w * loss_fn(o, yb) for w, o in zip(weights, outs))
        loss.backward()
        optimizer.step()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--samples', type=int, default=8192)
    p.add_argument('--batches', default='32,256')
    p.add_argument('--models', default='mlp,wideDeep,multiInput,multiOutput')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--device', default='cpu')
    p.add_argument('--data', default=DATA)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    x, y = (t.to(device) for t in load(a.samples, a.data))

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    results = []
    for key in a.models.split(','):
        if key not in MODELS:
            continue
        make, weights = MODELS[key]
        for batch in [int(b) for b in a.batches.split(',')]:
            rates = []
            for _ in range(a.repeats):
                model = make().to(device)
                optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
                epoch(model, optimizer, weights, x[:2 * batch], y[:2 * batch], batch)  # warm-up
                sync()
                t0 = time.perf_counter()
                epoch(model, optimizer, weights, x, y, batch)
                sync()
                rates.append(len(x) / (time.perf_counter() - t0))
            results.append({'model': key, 'batch': batch, 'samplesPerSecond': sorted(rates)[len(rates) // 2], 'all': rates})
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'
    print(json.dumps({'torch': torch.__version__, 'device': name, 'threads': torch.get_num_threads(), 'samples': a.samples, 'results': results}))


if __name__ == '__main__':
    main()
