"""A second, independent implementation of latent-lab's default model and training run, in JAX on
the CPU, to check the native trainer's held-out −ELBO epoch by epoch: the MLP VAE (784-400-400-20,
LeakyReLU 0.2, Bernoulli decoder with BCE on logits against grey levels, one sample of z, the KL in
closed form, loss = batch mean of reconstruction + KL), Adam (lr 1e-3, betas 0.9/0.999, epsilon
1e-8 as src/trainer/mod.rs sets it), batch 128 from a fresh shuffle of the 9,000 training digits
each epoch with the remainder dropped (70 steps), and after each epoch the held-out −ELBO of
src/evaluation.rs (one sample of z per digit, mean per image, with its two terms).

`--init` chooses the initialisation of every dense layer (weights [fan-in, fan-out], x·W + b):
  burn    burn 0.22.1's `LinearConfig::new(fan_in, fan_out).init(device)`, which the Rust model
          used until this comparison found it behind its slow first epochs:
          KaimingUniform { gain: 1/√3, fan_out_only: false }, so weight AND bias are uniform in
          ±√3 · (1/√3) · 1/√fan-in = ±1/√fan-in (the bias with the layer's fan-in too).
  glorot  Glorot (Xavier) uniform weights in ±√(6 / (fan-in + fan-out)), zero biases: the Rust
          model's now (`new_linear` in src/model/mod.rs), and the default here.
`--zero-bias` replaces the chosen scheme's biases by zeros, to tell its two halves apart;
`--epsilon` changes Adam's epsilon (burn's own default is 1e-5).

Usage: pip install jax numpy
       python3 bench/parity.py [--init burn|glorot] [--zero-bias] [--epsilon 1e-8]
                              [--epochs 20] [--seed 1]
Prints one line per epoch: the train means over its steps and the held-out figures. Not part of
the test suite.
"""

import argparse
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

LATENT, HIDDEN, PIXELS = 20, 400, 784
SLOPE = 0.2
BATCH = 128
LEARNING_RATE, BETA_1, BETA_2 = 1e-3, 0.9, 0.999
# src/evaluation.rs's threshold on the variance of a unit's posterior mean across digits.
ACTIVE_UNIT_THRESHOLD = 0.01

# (name, fan-in, fan-out) of every dense layer.
LAYERS = [
    ("encoder1", PIXELS, HIDDEN),
    ("encoder2", HIDDEN, HIDDEN),
    ("mean", HIDDEN, LATENT),
    ("log_variance", HIDDEN, LATENT),
    ("decoder1", LATENT, HIDDEN),
    ("decoder2", HIDDEN, HIDDEN),
    ("output", HIDDEN, PIXELS),
]


def load_splits(path):
    # www/data/mnist-10k.bin (src/data.rs): magic, u32 version, record count N, training count
    # T, u16 rows and columns, then N labels, then N·784 grey levels; records 0..T train.
    raw = open(path, "rb").read()
    _, count, train = np.frombuffer(raw[8:20], dtype="<u4")
    rows, cols = np.frombuffer(raw[20:24], dtype="<u2")
    assert raw[:8] == b"LLMNIST\0" and rows * cols == PIXELS, "not a latent-lab dataset file"
    count, train = int(count), int(train)
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=24 + count, count=count * PIXELS)
    images = pixels.reshape(count, PIXELS).astype(np.float32) / 255.0
    return images[:train], images[train:]


def init_params(key, init, zero_bias):
    params = {}
    for (name, fan_in, fan_out), layer_key in zip(LAYERS, jax.random.split(key, len(LAYERS))):
        if init == "burn":
            weight_bound = bias_bound = 1.0 / math.sqrt(fan_in)
        else:
            weight_bound, bias_bound = math.sqrt(6.0 / (fan_in + fan_out)), 0.0
        if zero_bias:
            bias_bound = 0.0
        weight_key, bias_key = jax.random.split(layer_key)
        weight = weight_bound * jax.random.uniform(weight_key, (fan_in, fan_out), minval=-1.0)
        bias = bias_bound * jax.random.uniform(bias_key, (fan_out,), minval=-1.0)
        params[name] = (weight, bias)
    return params


def dense(params, name, x):
    weight, bias = params[name]
    return x @ weight + bias


def leaky_relu(x):
    return jnp.where(x < 0, SLOPE * x, x)


def encode(params, images):
    h = leaky_relu(dense(params, "encoder1", images))
    h = leaky_relu(dense(params, "encoder2", h))
    return dense(params, "mean", h), dense(params, "log_variance", h)


def decode(params, z):
    h = leaky_relu(dense(params, "decoder1", z))
    h = leaky_relu(dense(params, "decoder2", h))
    return dense(params, "output", h)


def elbo_terms(params, images, key):
    """Per-image reconstruction (−log p(x|z), one z) and KL(q(z|x) ‖ N(0, I)), in nats."""
    mean, log_variance = encode(params, images)
    z = mean + jnp.exp(0.5 * log_variance) * jax.random.normal(key, mean.shape)
    logits = decode(params, z)
    # src/likelihood.rs: max(l, 0) − l·x + log(1 + e^−|l|), summed over the pixels.
    per_pixel = jnp.maximum(logits, 0) - logits * images + jnp.log1p(jnp.exp(-jnp.abs(logits)))
    reconstruction = per_pixel.sum(1)
    kl = 0.5 * (jnp.square(mean) + jnp.exp(log_variance) - log_variance - 1.0).sum(1)
    return reconstruction, kl, mean


def loss(params, images, key):
    reconstruction, kl, _ = elbo_terms(params, images, key)
    return (reconstruction + kl).mean(), (reconstruction.mean(), kl.mean())


@partial(jax.jit, static_argnames="epsilon")
def train_step(params, moments, step, images, key, epsilon):
    """One Adam step. burn's AdaptiveMomentum computes m·√(1−β₂ᵗ)/(1−β₁ᵗ) / (√v + ε·√(1−β₂ᵗ)),
    which is textbook Adam's m̂ / (√v̂ + ε) rearranged."""
    (_, (reconstruction, kl)), grads = jax.value_and_grad(loss, has_aux=True)(params, images, key)
    first, second = moments
    first = jax.tree.map(lambda m, g: BETA_1 * m + (1 - BETA_1) * g, first, grads)
    second = jax.tree.map(lambda v, g: BETA_2 * v + (1 - BETA_2) * g * g, second, grads)
    t = step + 1
    correction_1, correction_2 = 1 - BETA_1**t, 1 - BETA_2**t
    params = jax.tree.map(
        lambda p, m, v: p
        - LEARNING_RATE * (m / correction_1) / (jnp.sqrt(v / correction_2) + epsilon),
        params,
        first,
        second,
    )
    return params, (first, second), reconstruction, kl


@jax.jit
def evaluate(params, images, key):
    """src/evaluation.rs: mean per held-out image of the two terms, and the active units."""
    reconstruction, kl, mean = elbo_terms(params, images, key)
    active = (mean.var(0) > ACTIVE_UNIT_THRESHOLD).sum()
    return reconstruction.mean(), kl.mean(), active


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--init", choices=["burn", "glorot"], default="glorot")
    parser.add_argument("--zero-bias", action="store_true", help="zeros for every bias")
    parser.add_argument("--epsilon", type=float, default=1e-8, help="Adam's epsilon")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", default="www/data/mnist-10k.bin")
    args = parser.parse_args()

    train_images, heldout_images = load_splits(args.data)
    heldout_images = jnp.asarray(heldout_images)
    init_key, noise_key, eval_key = jax.random.split(jax.random.PRNGKey(args.seed), 3)
    shuffle = np.random.default_rng(args.seed)
    params = init_params(init_key, args.init, args.zero_bias)
    moments = (jax.tree.map(jnp.zeros_like, params), jax.tree.map(jnp.zeros_like, params))
    steps_per_epoch = len(train_images) // BATCH
    biases = ", zero biases" if args.zero_bias else ""
    print(
        f"init {args.init}{biases}, Adam epsilon {args.epsilon:g}, seed {args.seed}: "
        f"{args.epochs} epochs of {steps_per_epoch} steps of {BATCH}"
    )
    step = 0
    for epoch in range(1, args.epochs + 1):
        order = shuffle.permutation(len(train_images))
        sums = np.zeros(2)
        for i in range(steps_per_epoch):
            batch = jnp.asarray(train_images[order[i * BATCH : (i + 1) * BATCH]])
            params, moments, reconstruction, kl = train_step(
                params, moments, step, batch, jax.random.fold_in(noise_key, step), args.epsilon
            )
            sums += (float(reconstruction), float(kl))
            step += 1
        train_reconstruction, train_kl = sums / steps_per_epoch
        reconstruction, kl, active = evaluate(
            params, heldout_images, jax.random.fold_in(eval_key, epoch)
        )
        reconstruction, kl = float(reconstruction), float(kl)
        print(
            f"epoch {epoch:3}  train −ELBO {train_reconstruction + train_kl:7.2f} "
            f"(reconstruction {train_reconstruction:7.2f}, KL {train_kl:5.2f})  "
            f"held out −ELBO {reconstruction + kl:7.2f} "
            f"(reconstruction {reconstruction:7.2f}, KL {kl:5.2f})  "
            f"{int(active)}/{LATENT} active units",
            flush=True,
        )


if __name__ == "__main__":
    main()
