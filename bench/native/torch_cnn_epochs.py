#!/usr/bin/python3
"""Chooses the demo CNN's epochs: trains a candidate CNN in native PyTorch (eager, CPU) the way
`npm start` trains it (first 55,000 Fashion-MNIST training images, Adam lr × decay^epoch (1e-3 × 0.9^epoch by default), batch 32,
Glorot-uniform weights and zero biases as Keras/TF.js) and prints test accuracy on the 10,000 test
images after each epoch, one JSON line per epoch. Usage:
  torch_cnn_epochs.py --filters 16,32 --dense 64 --dropout 0.3 [--batchnorm] --epochs 5 --seeds 1,2 --threads 1
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
from torch import nn

DATA = '/usr/share/datasets/fashion-mnist'


def load(prefix):
    with gzip.open(f'{DATA}/{prefix}-images-idx3-ubyte.gz') as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f'{DATA}/{prefix}-labels-idx1-ubyte.gz') as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.from_numpy(images.astype(np.float32) / 255), torch.from_numpy(labels.astype(np.int64))


def cnn(filters, dense, dropout, batchnorm, padding='valid'):
    """conv f1 3×3 [batchNorm] relu → max-pool 2 → conv f2 3×3 [batchNorm] relu → max-pool 2 → flatten → dense relu → dropout → dense 10."""
    f1, f2 = filters
    side = ((28 - 2) // 2 - 2) // 2 if padding == 'valid' else 7
    # Keras/TF.js batchNormalization defaults: momentum 0.99 (PyTorch's 0.01), epsilon 1e-3
    bn = (lambda c: [nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)]) if batchnorm else (lambda c: [])
    model = nn.Sequential(
        nn.Conv2d(1, f1, 3, padding=0 if padding == 'valid' else 1), *bn(f1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(f1, f2, 3, padding=0 if padding == 'valid' else 1), *bn(f2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(f2 * side * side, dense), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dense, 10))
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        right = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))
    model.train()
    return right / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--filters', default='16,32')
    p.add_argument('--dense', type=int, default=64)
    p.add_argument('--dropout', type=float, default=0.3)
    p.add_argument('--batchnorm', action='store_true')
    p.add_argument('--padding', default='valid', choices=['valid', 'same'])
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--decay', type=float, default=0.9)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--seeds', default='1')
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    x, y = load('train')
    x, y = x[:55000], y[:55000]
    tx, ty = load('t10k')
    filters = [int(f) for f in a.filters.split(',')]
    for seed in [int(s) for s in a.seeds.split(',')]:
        torch.manual_seed(seed)
        model = cnn(filters, a.dense, a.dropout, a.batchnorm, a.padding)
        optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
        loss_fn = nn.CrossEntropyLoss()
        for e in range(a.epochs):
            for group in optimizer.param_groups:
                group['lr'] = a.lr * a.decay ** e
            t0 = time.perf_counter()
            order = torch.randperm(len(x))
            for start in range(0, len(x), a.batch):
                idx = order[start:start + a.batch]
                optimizer.zero_grad()
                loss_fn(model(x[idx]), y[idx]).backward()
                optimizer.step()
            seconds = time.perf_counter() - t0
            print(json.dumps({'filters': filters, 'dense': a.dense, 'dropout': a.dropout, 'batchnorm': a.batchnorm, 'padding': a.padding, 'batch': a.batch, 'lr': a.lr, 'decay': a.decay, 'seed': seed, 'epoch': e + 1,
                              'test_accuracy': accuracy(model, tx, ty), 'epoch_seconds': round(seconds, 1)}), flush=True)


if __name__ == '__main__':
    main()
