"""The peer on a machine with PyTorch (the GPU machine): the same VAE as latent-lab's default
(784-400-400-20, LeakyReLU 0.2, Bernoulli decoder with BCE on logits, one sample of z, Adam 1e-3,
batch 128) trained on the same dataset file, timed the same way as `latent-lab bench`: the first
step, then images per second over chunks of 10 steps, each chunk ending in one readback of the
loss. Not part of the test suite.

Usage: python3 bench/torch_vae.py [--device cuda|cpu] [--seconds 10] [--batch-size 128]
"""

import argparse
import time

import numpy as np
import torch
from torch import nn


def load_train_images(path):
    # www/data/mnist-10k.bin (src/data.rs): magic, u32 version, record count N, training count
    # T, u16 rows and columns, then N labels, then N·784 grey levels.
    raw = open(path, "rb").read()
    _, count, train = np.frombuffer(raw[8:20], dtype="<u4")
    rows, cols = np.frombuffer(raw[20:24], dtype="<u2")
    assert raw[:8] == b"LLMNIST\0" and rows * cols == 784, "not a latent-lab dataset file"
    count, train = int(count), int(train)
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=24 + count, count=count * 784)
    return pixels.reshape(count, 784)[:train].astype(np.float32) / 255.0


class Vae(nn.Module):
    def __init__(self, latent=20, hidden=400):
        super().__init__()
        act = nn.LeakyReLU(0.2)
        self.encoder = nn.Sequential(nn.Linear(784, hidden), act, nn.Linear(hidden, hidden), act)
        self.mean = nn.Linear(hidden, latent)
        self.log_variance = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), act, nn.Linear(hidden, hidden), act, nn.Linear(hidden, 784)
        )

    def loss(self, x):
        h = self.encoder(x)
        mean, log_variance = self.mean(h), self.log_variance(h)
        z = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        logits = self.decoder(z)
        reconstruction = nn.functional.binary_cross_entropy_with_logits(
            logits, x, reduction="none"
        ).sum(1)
        kl = 0.5 * (mean.pow(2) + log_variance.exp() - 1 - log_variance).sum(1)
        return (reconstruction + kl).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data", default="www/data/mnist-10k.bin")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(1)
    # The dataset lives on the device, as in latent-lab's trainer.
    images = torch.from_numpy(load_train_images(args.data)).to(device)
    model = Vae().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = args.batch_size
    starts = iter(range(0, 1 << 62, batch))

    def steps(n):
        total = torch.zeros((), device=device)
        for _ in range(n):
            start = next(starts) % (images.shape[0] - batch)
            loss = model.loss(images[start : start + batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        return float(total) / n  # the chunk's one readback

    started = time.perf_counter()
    steps(1)
    first = time.perf_counter() - started
    warm = time.perf_counter()
    while time.perf_counter() - warm < max(args.seconds / 4, 1.0):
        steps(10)
    measuring, done = time.perf_counter(), 0
    while time.perf_counter() - measuring < args.seconds:
        loss = steps(10)
        done += 10
    elapsed = time.perf_counter() - measuring
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(
        f"pytorch {torch.__version__} {args.device} ({name}) batch {batch}: first step {first:.3f} s, "
        f"{done / elapsed:.1f} steps/s, {done * batch / elapsed:.0f} images/s, loss {loss:.1f}"
    )


if __name__ == "__main__":
    main()
