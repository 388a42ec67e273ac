//! How much memory a training run needs, estimated from its settings before anything is
//! allocated, so that settings inside every range but too big together (a convolutional model
//! with 16 samples of z and batches of 1,024 wants 3.5 GB) are refused with a reason instead of
//! trapping the page's worker when wasm's 4 GiB run out mid-step.
//!
//! The estimate follows a training step's tensors layer by layer (`Step`), adds the
//! parameters with every copy the trainer keeps of them, and the dataset the trainer uploads as
//! f32. Peak live bytes measured natively on the CPU backend with a counting allocator
//! (`tests/memory.rs` holds the estimate to them), against the estimate, in MB:
//!
//! | model (latent, likelihood)    | L × batch | measured | estimate |       |
//! |-------------------------------|-----------|---------:|---------:|------:|
//! | MLP diagonal (20, Bernoulli)  | 1 × 1     |     68.0 |     92.4 | 1.36× |
//! | the same, hidden size 2048    | 1 × 1     |    470.8 |    522.8 | 1.11× |
//! | MLP diagonal (20, Bernoulli)  | 4 × 1024  |    172.7 |    213.1 | 1.23× |
//! | MLP diagonal (20, Bernoulli)  | 16 × 1024 |    503.2 |    545.2 | 1.08× |
//! | MLP diagonal (20, Gaussian)   | 16 × 1024 |    336.3 |    429.6 | 1.28× |
//! | MLP diagonal (64, Bernoulli)  | 16 × 1024 |    510.7 |    556.7 | 1.09× |
//! | MLP full (20, Bernoulli)      | 16 × 1024 |    508.7 |    554.9 | 1.09× |
//! | MLP full (64, Bernoulli)      | 4 × 1024  |    232.2 |    317.4 | 1.37× |
//! | MLP full (64, Bernoulli)      | 16 × 1024 |    567.0 |    655.9 | 1.16× |
//! | MLP full (64, learned σ)      | 16 × 1024 |    414.1 |    540.3 | 1.30× |
//! | conv diagonal (20, Bernoulli) | 1 × 1     |     81.3 |    106.0 | 1.30× |
//! | conv diagonal (20, Bernoulli) | 2 × 32    |     81.3 |    122.3 | 1.50× |
//! | conv diagonal (20, Bernoulli) | 4 × 1024  |    978.5 |   1070.7 | 1.09× |
//! | conv diagonal (20, Bernoulli) | 16 × 1024 |   3490.6 |   3675.6 | 1.05× |
//! | conv full (64, Bernoulli)     | 1 × 1     |    146.4 |    173.9 | 1.19× |
//! | conv full (64, Bernoulli)     | 4 × 1024  |   1038.0 |   1175.0 | 1.13× |
//!
//! The largest single allocation measured was exactly the estimate's largest tensor in each.
//!
//! Not counted, so a budget must leave room for them:
//! - the allocator's overhead in wasm. The page's release build, run in Node, grew its memory
//!   7–25% beyond the native peak (MLP 16 × 1024: 540.1 MB diagonal, 648.6 MB full 64, 494.3 MB
//!   full 64 with learned σ, 385.7 MB Gaussian; conv 2 × 128: 142.3 MB; conv 4 × 1024:
//!   1226.9 MB diagonal, 1301.9 MB full 64), up to 15% beyond the estimate;
//! - an evaluation, which never runs during a step and measured at most 205 MB above the
//!   trainer's resting state (the importance-weighted gap, 4,096 decoded images at a time, conv
//!   with a full covariance).

use serde::{Deserialize, Serialize};

use crate::model::{Architecture, Covariance};
use crate::progress::thousands;
use crate::trainer::TrainerConfig;

mod step;
use step::Step;

/// Bytes of an f32.
const F32: u64 = 4;

/// What a training run is estimated to need at the peak of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryEstimate {
    /// The trainer's live allocations together, as the CPU backend makes them; wasm's memory
    /// grows further by its allocator's overhead (see the module's notes).
    pub total_bytes: u64,
    /// The largest single tensor.
    pub largest_tensor_bytes: u64,
}

/// What a page can spend: on the whole run, and on one buffer (wasm32 cannot address more than
/// 4 GiB, and a GPU caps the size of one buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryBudget {
    pub total_bytes: u64,
    pub largest_tensor_bytes: u64,
}

/// Copies of the parameters alive at a step's peak. Between chunks the trainer holds the model
/// and Adam's two moments twice (the current ones and the snapshot a divergence rolls back to:
/// 6 copies, measured exactly); during the last step of a chunk it also holds the candidate
/// snapshot and builds the gradients and the next model and moments, 9.6 copies at the
/// measured peak of small batches, rounded up. Adam over flat buffers (src/trainer/adam.rs) adds
/// the packed gradient beside the per-tensor ones: 12 copies bound the measured peak again.
const PARAMETER_COPIES: u64 = 12;

/// The zeros between the segments of the flat buffers, at most one alignment per parameter
/// tensor (bounded here by 32 tensors, more than any architecture has).
const PADDING_BYTES: u64 = 32 * crate::packing::SEGMENT_ALIGNMENT as u64 * F32;

/// What does not grow with the settings: the held-out split (1,000 images, 3.1 MB as f32),
/// the dataset's bytes and their parsed copy while the trainer starts (15.7 MB), and wasm's
/// stack and statics.
const FIXED_BYTES: u64 = 24 << 20;

impl TrainerConfig {
    /// The memory a run of these settings needs at the peak of a training step, with
    /// `training_images` images of the model's size uploaded.
    pub fn memory_estimate(&self, training_images: usize) -> MemoryEstimate {
        let model = &self.model;
        let batch = self.batch_size as u64;
        let samples = self.objective.samples as u64;
        let (activations, largest_activation) = Step::of(model).peak(batch, samples);
        let parameter_bytes = model.parameter_count().saturating_mul(F32);
        let data_bytes = self.data_bytes(training_images);
        MemoryEstimate {
            total_bytes: activations
                .saturating_mul(F32)
                .saturating_add(parameter_bytes.saturating_mul(PARAMETER_COPIES))
                .saturating_add(data_bytes)
                .saturating_add(FIXED_BYTES),
            largest_tensor_bytes: largest_activation
                .saturating_mul(F32)
                .max(data_bytes)
                // Every parameter in one flat buffer (and each moment, and the gradient).
                .max(parameter_bytes.saturating_add(PADDING_BYTES)),
        }
    }

    /// The training images as the trainer keeps them on its device, as f32.
    fn data_bytes(&self, training_images: usize) -> u64 {
        (training_images as u64)
            .saturating_mul(self.model.input_size as u64)
            .saturating_mul(F32)
    }

    /// The estimate, or the reason it does not fit in `budget`, naming the settings that
    /// decide it.
    pub fn check_memory(
        &self,
        training_images: usize,
        budget: MemoryBudget,
    ) -> Result<MemoryEstimate, String> {
        let estimate = self.memory_estimate(training_images);
        let settings = || {
            let architecture = match self.model.architecture {
                Architecture::Mlp => "MLP",
                Architecture::Conv => "conv",
            };
            // A full covariance's L² per sample is what makes the latent size matter.
            let covariance = match self.model.covariance {
                Covariance::Diagonal => String::new(),
                Covariance::Full => format!(
                    " with a full covariance (latent {})",
                    self.model.latent_size
                ),
            };
            format!(
                "{architecture}{covariance}, L = {}, batch {}",
                self.objective.samples,
                thousands(self.batch_size as u64)
            )
        };
        if estimate.total_bytes > budget.total_bytes {
            let (needed, limit) = sizes(estimate.total_bytes, budget.total_bytes);
            // The training images live on the device: when the model alone would fit, they are
            // what does not, and fewer of them is the first remedy.
            let data_bytes = self.data_bytes(training_images);
            if estimate.total_bytes - data_bytes <= budget.total_bytes {
                return Err(format!(
                    "{} with {} training images ({:.0} MB on the device) needs about {needed}; \
                     this page can use about {limit}: train on fewer images, or lower the batch \
                     size or L",
                    settings(),
                    thousands(training_images as u64),
                    data_bytes as f64 / 1e6
                ));
            }
            return Err(format!(
                "{} needs about {needed}; this page can use about {limit}: lower the batch size \
                 or L",
                settings()
            ));
        }
        if estimate.largest_tensor_bytes > budget.largest_tensor_bytes {
            let (needed, limit) = sizes(estimate.largest_tensor_bytes, budget.largest_tensor_bytes);
            return Err(format!(
                "{} needs a single buffer of about {needed}; this page can allocate at most \
                 {limit} at once: lower the batch size or L",
                settings()
            ));
        }
        Ok(estimate)
    }
}

/// Decimal gigabytes or megabytes with one decimal (`5.1 GB`, `310.4 MB`), or with as many more
/// as it takes, up to three, for a need just over its limit not to read as the same figure.
fn sizes(needed: u64, limit: u64) -> (String, String) {
    let format = |n: u64, decimals: usize| {
        if n >= 1_000_000_000 {
            format!("{:.*} GB", decimals, n as f64 / 1e9)
        } else {
            format!("{:.*} MB", decimals, n as f64 / 1e6)
        }
    };
    (1..=3)
        .map(|decimals| (format(needed, decimals), format(limit, decimals)))
        .find(|(needed, limit)| needed != limit)
        .unwrap_or_else(|| (format(needed, 3), format(limit, 3)))
}
