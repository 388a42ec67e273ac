//! The training loop, written by hand because burn-train's `Learner` does not run in a browser:
//! Adam, mini-batches drawn from a device-resident copy of the training split, and held-out
//! evaluation. Figures are accumulated on the device and read back only when asked for, with
//! async reads, since a sync read on WebGPU in a browser panics.

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::{Distribution, Transaction};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::data::MnistSplit;
use crate::elbo::ElboTerms;
use crate::model::{Vae, VaeConfig};
use crate::weights::{self, Precision, Weights};

/// Hyper-parameters of a training run.
#[derive(Config, Debug, PartialEq)]
pub struct TrainerConfig {
    pub model: VaeConfig,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = 128)]
    pub batch_size: usize,
}

impl TrainerConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.model.validate()?;
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err(format!(
                "learning rate must be in (0, 1] (got {})",
                self.learning_rate
            ));
        }
        if self.batch_size == 0 || self.batch_size > 1024 {
            return Err(format!(
                "batch size must be between 1 and 1024 (got {})",
                self.batch_size
            ));
        }
        Ok(())
    }
}

/// Per-image figures in nats, averaged over some images.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElboStats {
    /// −E_q[log p(x|z)], one sample of z per image.
    pub reconstruction: f64,
    /// KL(q(z|x) ‖ p(z)).
    pub kl: f64,
    /// reconstruction + KL.
    pub negative_elbo: f64,
}

impl ElboStats {
    pub fn new(reconstruction: f64, kl: f64) -> Self {
        Self {
            reconstruction,
            kl,
            negative_elbo: reconstruction + kl,
        }
    }

    pub fn is_finite(&self) -> bool {
        self.reconstruction.is_finite() && self.kl.is_finite()
    }
}

/// Where training stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Optimizer steps taken.
    pub step: u64,
    /// Completed passes over the training split.
    pub epoch: u64,
    /// Fraction of the current pass done, in `[0, 1)`.
    pub epoch_fraction: f64,
    /// Training images seen across all steps.
    pub images_seen: u64,
}

/// The outcome of [`Trainer::train_steps`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepStats {
    pub progress: Progress,
    /// Steps in this call.
    pub steps: usize,
    /// Mean over those steps' batches: the running mean the page plots as "train".
    pub train: ElboStats,
}

/// Owns the model, the optimizer (created once and kept) and the device-resident data.
pub struct Trainer {
    config: TrainerConfig,
    device: Device,
    model: Vae,
    optimizer: ModuleOptimizer,
    train_images: Tensor<2>,
    heldout_images: Tensor<2>,
    order: Vec<i32>,
    cursor: usize,
    rng: StdRng,
    progress: Progress,
}

impl Trainer {
    /// A trainer on `device` (autodiff is added here) starting from fresh weights, or from
    /// `initial` weights when given. `seed` seeds the backend's RNG (weights, ε) and the
    /// shuffling; callers in a browser pass a fresh random one.
    pub fn new(
        config: TrainerConfig,
        data: &MnistSplit,
        device: &Device,
        seed: u64,
        initial: Option<Weights>,
    ) -> Result<Self, String> {
        config.validate()?;
        if let Some(weights) = &initial
            && weights.config != config.model
        {
            return Err("the weights were made for a different architecture".into());
        }
        let pixels = data.train.pixels_per_image();
        if pixels != config.model.input_size {
            return Err(format!(
                "dataset images have {pixels} pixels but the model expects {}",
                config.model.input_size
            ));
        }
        if data.train.len() < config.batch_size {
            return Err(format!(
                "batch size {} is larger than the {} training images",
                config.batch_size,
                data.train.len()
            ));
        }
        let device = device.clone().autodiff();
        device.seed(seed);
        let progress = initial.as_ref().and_then(|w| w.progress);
        let model = match initial {
            Some(weights) => weights.into_model(&device)?,
            None => config.model.init(&device),
        };
        let optimizer = AdamConfig::new().with_epsilon(1e-8).init();
        let mut trainer = Self {
            train_images: data.train.to_tensor(&device),
            heldout_images: data.heldout.to_tensor(&device.clone().inner()),
            order: (0..data.train.len() as i32).collect(),
            cursor: 0,
            rng: StdRng::seed_from_u64(seed),
            progress: Progress::default(),
            config,
            device,
            model,
            optimizer,
        };
        trainer.order.shuffle(&mut trainer.rng);
        if let Some(progress) = progress {
            trainer.resume_progress(progress);
        }
        Ok(trainer)
    }

    pub fn config(&self) -> &TrainerConfig {
        &self.config
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// Optimizer steps in one pass over the training split (the remainder is dropped).
    pub fn steps_per_epoch(&self) -> usize {
        self.order.len() / self.config.batch_size
    }

    /// Carries the step count over from the weights a trainer starts from, so the plot's x axis
    /// keeps going after a backend switch or a reload.
    fn resume_progress(&mut self, progress: Progress) {
        self.progress = progress;
        let len = self.order.len() as f64;
        self.cursor = ((progress.epoch_fraction * len) as usize).min(self.order.len());
    }

    /// The indices of the next batch; a new shuffled pass starts when fewer than a batch remain
    /// (the remainder is dropped, so every batch has the same size).
    fn next_batch(&mut self) -> Tensor<1, Int> {
        let batch = self.config.batch_size;
        if self.cursor + batch > self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.cursor = 0;
            self.progress.epoch += 1;
        }
        let indices = self.order[self.cursor..self.cursor + batch].to_vec();
        self.cursor += batch;
        self.progress.step += 1;
        self.progress.images_seen += batch as u64;
        self.progress.epoch_fraction = self.cursor as f64 / self.order.len() as f64;
        Tensor::from_data(TensorData::new(indices, [batch]), &self.device)
    }

    /// One optimizer step; returns the batch's mean terms, detached, still on the device.
    fn step(&mut self) -> (Tensor<1>, Tensor<1>) {
        let images = self.train_images.clone().select(0, self.next_batch());
        let [batch, _] = images.dims();
        let noise = Tensor::random(
            [batch, self.config.model.latent_size],
            Distribution::Normal(0.0, 1.0),
            &self.device,
        );
        let terms = ElboTerms::new(self.model.forward(images.clone(), noise), images);
        let reconstruction = terms.reconstruction.clone().mean().detach();
        let kl = terms.kl.clone().mean().detach();
        let gradients = GradientsParams::from_grads(terms.loss().backward(), &self.model);
        self.model = self
            .optimizer
            .step(self.config.learning_rate, self.model.clone(), gradients);
        (reconstruction, kl)
    }

    /// Runs `steps` optimizer steps and reads their mean figures back once, at the end.
    pub async fn train_steps(&mut self, steps: usize) -> Result<StepStats, String> {
        if steps == 0 {
            return Err("asked for zero training steps".into());
        }
        let (mut reconstruction, mut kl) = self.step();
        for _ in 1..steps {
            let (r, k) = self.step();
            reconstruction = reconstruction + r;
            kl = kl + k;
        }
        let [reconstruction, kl] = read_scalars([reconstruction, kl]).await?;
        Ok(StepStats {
            progress: self.progress,
            steps,
            train: ElboStats::new(reconstruction / steps as f64, kl / steps as f64),
        })
    }

    /// The negative ELBO and its terms on the held-out split, one sample of z per image.
    pub async fn evaluate(&self) -> Result<ElboStats, String> {
        evaluate(&self.model.valid(), &self.heldout_images).await
    }

    /// The current weights and progress as a weights file.
    pub async fn export_weights(&self, precision: Precision) -> Result<Vec<u8>, String> {
        weights::export(
            &self.model.valid(),
            &self.config.model,
            Some(&self.progress),
            precision,
        )
        .await
    }
}

/// Mean ELBO terms over `images` (`[n, pixels]`, on the model's device), in chunks that keep the
/// activations small.
pub async fn evaluate(model: &Vae, images: &Tensor<2>) -> Result<ElboStats, String> {
    const CHUNK: usize = 500;
    let [count, _] = images.dims();
    let latent = model.latent_size();
    let device = images.device();
    let mut sums: Option<(Tensor<1>, Tensor<1>)> = None;
    for start in (0..count).step_by(CHUNK) {
        let chunk = images.clone().narrow(0, start, CHUNK.min(count - start));
        let [rows, _] = chunk.dims();
        let noise = Tensor::random([rows, latent], Distribution::Normal(0.0, 1.0), &device);
        let terms = ElboTerms::new(model.forward(chunk.clone(), noise), chunk);
        let (r, k) = (terms.reconstruction.sum(), terms.kl.sum());
        sums = Some(match sums {
            Some((rs, ks)) => (rs + r, ks + k),
            None => (r, k),
        });
    }
    let (reconstruction, kl) = sums.ok_or("no images to evaluate")?;
    let [reconstruction, kl] = read_scalars([reconstruction, kl]).await?;
    Ok(ElboStats::new(
        reconstruction / count as f64,
        kl / count as f64,
    ))
}

/// Reads single-element tensors back in one async transaction.
async fn read_scalars<const N: usize>(tensors: [Tensor<1>; N]) -> Result<[f64; N], String> {
    let transaction = tensors
        .into_iter()
        .fold(Transaction::default(), |t, tensor| t.register(tensor));
    let data = transaction
        .execute_async()
        .await
        .map_err(|e| format!("reading figures back from the device failed: {e:?}"))?;
    let mut out = [0.0; N];
    for (slot, data) in out.iter_mut().zip(data) {
        *slot = data
            .iter::<f64>()
            .next()
            .ok_or("the device returned an empty figure")?;
    }
    Ok(out)
}
