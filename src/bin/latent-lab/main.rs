//! The native trainer: the page's model, ELBO and trainer, run natively, to make the models the
//! page ships with.
//!
//! ```text
//! cargo run --release --bin latent-lab -- train --latent-size 20 --epochs 40 --half --out www/models/latent-20.bpk
//! cargo run --release --bin latent-lab -- evaluate www/models/latent-20.bpk
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use latent_lab::data::{DataSplit, PixelValues};
use latent_lab::device;
use latent_lab::evaluation::{FigureMeaning, estimate_gap, evaluate};
use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig};
use latent_lab::objective::{ElboStats, Objective};
use latent_lab::trainer::{Trainer, TrainerConfig};
use latent_lab::weights::{Precision, Weights};

mod bench;
use bench::{Backend, bench};

#[derive(Parser)]
#[command(version, about = "Train and evaluate latent-lab's VAE natively")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model from fresh weights and save it as a weights file.
    Train(TrainArgs),
    /// Print a weights file's config, its held-out negative ELBO, active units, and the gap to
    /// an importance-weighted estimate of log p(x).
    Evaluate {
        /// The weights file.
        path: PathBuf,
        /// Importance samples per digit for the log p(x) estimate.
        #[arg(long, default_value_t = 64)]
        k: usize,
        /// The dataset file.
        #[arg(long, default_value = "www/data/mnist-10k.bin")]
        data: PathBuf,
        /// Seed for the sampled z.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure training speed of the default model (784-400-400-20, batch 128 unless told):
    /// the first step, then images per second after a warm-up. Prints one line per backend.
    Bench {
        /// Backends to measure, in order.
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Cpu])]
        backend: Vec<Backend>,
        /// Seconds of measurement per backend, after the warm-up.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        #[arg(long, default_value_t = 128)]
        batch_size: usize,
        #[arg(long, value_enum, default_value_t = Architecture::Mlp)]
        architecture: Architecture,
        /// The dataset file.
        #[arg(long, default_value = "www/data/mnist-10k.bin")]
        data: PathBuf,
    },
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Passes over the 9,000 training digits.
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    /// Dimension of z.
    #[arg(long, default_value_t = 20)]
    latent_size: usize,
    #[arg(long, value_enum, default_value_t = LikelihoodArg::Bernoulli)]
    likelihood: LikelihoodArg,
    /// σ of the fixed Gaussian likelihood.
    #[arg(long, default_value_t = 0.1)]
    sigma: f64,
    #[arg(long, value_enum, default_value_t = Covariance::Diagonal)]
    covariance: Covariance,
    #[arg(long, value_enum, default_value_t = Architecture::Mlp)]
    architecture: Architecture,
    /// Monte Carlo samples of z per image.
    #[arg(long, default_value_t = 1)]
    samples: usize,
    /// Weight of the KL term.
    #[arg(long, default_value_t = 1.0)]
    beta: f64,
    /// Steps over which the KL weight grows from 0 to β.
    #[arg(long, default_value_t = 0)]
    warmup_steps: u64,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f64,
    /// Seeds the weights, ε and the shuffling: the same seed on the same backend gives the same
    /// model.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Store the weights as f16 (half the bytes; what the page ships).
    #[arg(long)]
    half: bool,
    /// Where to write the weights file.
    #[arg(long)]
    out: PathBuf,
    /// The dataset file.
    #[arg(long, default_value = "www/data/mnist-10k.bin")]
    data: PathBuf,
    /// Train on binarised digits (drawn afresh each time; the held-out ones binarised once with
    /// a fixed seed) or on the grey levels.
    #[arg(long, value_enum, default_value_t = PixelValues::Binarised)]
    pixels: PixelValues,
}

#[derive(Clone, Copy, ValueEnum)]
enum LikelihoodArg {
    /// Bernoulli: a true likelihood on binarised digits, a cross-entropy on grey levels.
    Bernoulli,
    /// The continuous Bernoulli, a density on grey levels.
    ContinuousBernoulli,
    /// Gaussian with the fixed --sigma.
    Gaussian,
    /// Gaussian with a learned σ.
    GaussianLearned,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Train(args) => train(args),
        Command::Evaluate {
            path,
            k,
            data,
            seed,
        } => evaluate_file(&path, k, &data, seed),
        Command::Bench {
            backend,
            seconds,
            batch_size,
            architecture,
            data,
        } => bench(&backend, seconds, batch_size, architecture, &data),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn load_data(path: &PathBuf) -> Result<DataSplit, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    DataSplit::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn describe(stats: &ElboStats) -> String {
    format!(
        "−ELBO {:6.2} (reconstruction {:6.2}, KL {:5.2})",
        stats.negative_elbo, stats.reconstruction, stats.kl
    )
}

fn train(args: TrainArgs) -> Result<(), String> {
    let data = load_data(&args.data)?;
    let model = VaeConfig::new()
        .with_latent_size(args.latent_size)
        .with_likelihood(match args.likelihood {
            LikelihoodArg::Bernoulli => Likelihood::Bernoulli,
            LikelihoodArg::ContinuousBernoulli => Likelihood::ContinuousBernoulli,
            LikelihoodArg::Gaussian => Likelihood::Gaussian { sigma: args.sigma },
            LikelihoodArg::GaussianLearned => Likelihood::GaussianLearned,
        })
        .with_covariance(args.covariance)
        .with_architecture(args.architecture);
    let objective = Objective::new()
        .with_samples(args.samples)
        .with_beta(args.beta)
        .with_warmup_steps(args.warmup_steps);
    let config = TrainerConfig::new(model)
        .with_objective(objective)
        .with_learning_rate(args.learning_rate)
        .with_batch_size(args.batch_size)
        .with_data(args.pixels);
    let kind = args.backend.kind();
    let device = pollster::block_on(device::open(kind))?;
    let mut trainer = Trainer::new(config, &data, &device, args.seed, None)?;
    let steps_per_epoch = trainer.steps_per_epoch();
    println!(
        "training latent {} on {} of {} for {} epochs of {} steps (batch {}, learning rate {})",
        args.latent_size,
        args.pixels.label(),
        kind.label(),
        args.epochs,
        steps_per_epoch,
        args.batch_size,
        args.learning_rate
    );
    const CHUNK: usize = 10;
    let started = Instant::now();
    for epoch in 1..=args.epochs {
        let bar = ProgressBar::new(steps_per_epoch as u64).with_style(
            ProgressStyle::with_template("epoch {prefix:>3} {bar:30} {pos}/{len} steps  {msg}")
                .map_err(|e| e.to_string())?,
        );
        bar.set_prefix(epoch.to_string());
        let epoch_started = Instant::now();
        let (mut steps, mut reconstruction, mut kl) = (0usize, 0.0, 0.0);
        while steps < steps_per_epoch {
            let n = CHUNK.min(steps_per_epoch - steps);
            let stats = pollster::block_on(trainer.train_steps(n))?;
            if !stats.train.is_finite() {
                return Err(format!("training diverged at step {}", stats.progress.step));
            }
            steps += n;
            reconstruction += stats.train.reconstruction * n as f64;
            kl += stats.train.kl * n as f64;
            bar.set_position(steps as u64);
            bar.set_message(format!("train −ELBO {:.1}", stats.train.negative_elbo));
        }
        bar.finish_and_clear();
        let images_per_second =
            (steps * args.batch_size) as f64 / epoch_started.elapsed().as_secs_f64();
        let train = ElboStats::new(reconstruction / steps as f64, kl / steps as f64);
        let heldout = pollster::block_on(trainer.evaluate())?;
        println!(
            "epoch {epoch:>3}  train {}  held out {}  {}/{} active units  {images_per_second:.0} images/s",
            describe(&train),
            describe(&heldout.elbo),
            heldout.active_units,
            args.latent_size
        );
    }
    let precision = if args.half {
        Precision::F16
    } else {
        Precision::F32
    };
    let bytes = pollster::block_on(trainer.export_weights(precision))?;
    std::fs::write(&args.out, &bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "wrote {} ({} bytes) after {:.0} s",
        args.out.display(),
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn evaluate_file(path: &PathBuf, k: usize, data: &PathBuf, seed: u64) -> Result<(), String> {
    let data = load_data(data)?;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let weights = Weights::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let device = device::cpu_device();
    device.seed(seed);
    println!("{}: {:?}", path.display(), weights.config);
    if let Some(objective) = &weights.objective {
        println!("trained with {objective:?}");
    }
    if let Some(progress) = weights.progress {
        println!(
            "trained for {} steps ({} images)",
            progress.step, progress.images_seen
        );
    }
    let pixels = weights.data;
    let figures = FigureMeaning::of(weights.config.likelihood, pixels);
    let model = weights.into_model(&device)?;
    let heldout = pixels.heldout(&data.heldout).to_tensor(&device);
    let report = pollster::block_on(evaluate(&model, &heldout))?;
    println!(
        "held out ({}): {}, {}/{} active units",
        pixels.label(),
        describe(&report.elbo),
        report.active_units,
        model.latent_size()
    );
    let gap = pollster::block_on(estimate_gap(&model, &heldout, k))?;
    println!(
        "held out, {k} importance samples: −ELBO {:.2}, −IW-{k} {:.2}, gap {:.2} nats",
        gap.negative_elbo, gap.negative_iw_bound, gap.gap
    );
    println!("{}", figures.describe());
    Ok(())
}
