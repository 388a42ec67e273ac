//! `latent-lab bench`: training speed natively, measured as the page trains (chunks of steps,
//! one readback each), on the CPU and on the GPU.

use std::path::PathBuf;
use std::time::Instant;

use clap::ValueEnum;
use latent_lab::device::{self, BackendKind};
use latent_lab::model::{Architecture, VaeConfig};
use latent_lab::trainer::{Trainer, TrainerConfig};

use crate::load_data;

#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum Backend {
    /// burn's CPU backend (ndarray), on every core.
    Cpu,
    /// burn-wgpu on the machine's GPU (Vulkan, Metal or DX12).
    Gpu,
}

impl Backend {
    pub fn kind(self) -> BackendKind {
        match self {
            Backend::Cpu => BackendKind::Cpu,
            Backend::Gpu => BackendKind::Webgpu,
        }
    }
}

pub fn bench(
    backends: &[Backend],
    seconds: f64,
    batch_size: usize,
    architecture: Architecture,
    data: &PathBuf,
) -> Result<(), String> {
    let data = load_data(data)?;
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    for &backend in backends {
        let device = pollster::block_on(device::open(backend.kind()))?;
        let model = VaeConfig::new().with_architecture(architecture);
        let config = TrainerConfig::new(model).with_batch_size(batch_size);
        let mut trainer = Trainer::new(config, &data, &device, 1, None)?;
        // As the page trains: chunks of steps, each ending in one readback of the losses.
        const CHUNK: usize = 10;
        let started = Instant::now();
        pollster::block_on(trainer.train_steps(1))?;
        let first_step = started.elapsed().as_secs_f64();
        let warm_up = Instant::now();
        while warm_up.elapsed().as_secs_f64() < (seconds / 4.0).max(1.0) {
            pollster::block_on(trainer.train_steps(CHUNK))?;
        }
        let measuring = Instant::now();
        let mut steps = 0;
        while measuring.elapsed().as_secs_f64() < seconds {
            let stats = pollster::block_on(trainer.train_steps(CHUNK))?;
            if !stats.train.is_finite() {
                return Err(format!("training diverged on {backend:?}"));
            }
            steps += CHUNK;
        }
        let elapsed = measuring.elapsed().as_secs_f64();
        println!(
            "{:?} {:?} batch {batch_size} (threads: {threads}): first step {:.3} s, {:.1} steps/s, {:.0} images/s",
            backend,
            architecture,
            first_step,
            steps as f64 / elapsed,
            (steps * batch_size) as f64 / elapsed
        );
    }
    Ok(())
}
