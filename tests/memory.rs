//! The memory estimate against what training really allocates on the CPU backend (burn
//! ndarray, the code the page's CPU path runs in wasm): a counting global allocator records the
//! peak of live bytes while a trainer starts and trains, and the estimate must lie above it, but
//! not far above, for every kind of model. A global allocator is one per binary, hence this file
//! of its own, whose tests take turns so that nothing else allocates while one measures.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use latent_lab::memory::MemoryBudget;
use latent_lab::model::{Architecture, Covariance, Likelihood, VaeConfig};
use latent_lab::objective::Objective;
use latent_lab::trainer::{Trainer, TrainerConfig};

/// The system allocator, counting.
struct Counting;

static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);
static LARGEST: AtomicU64 = AtomicU64::new(0);
/// Taken by each test, so that none allocates while another measures.
static ALONE: Mutex<()> = Mutex::new(());

fn allocated(size: usize) {
    let size = size as u64;
    let live = LIVE.fetch_add(size, Ordering::SeqCst) + size;
    PEAK.fetch_max(live, Ordering::SeqCst);
    LARGEST.fetch_max(size, Ordering::SeqCst);
}

fn freed(size: usize) {
    LIVE.fetch_sub(size as u64, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            allocated(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            allocated(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        freed(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            freed(layout.size());
            allocated(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak live bytes and largest single allocation while a trainer of `config` starts, trains a
/// chunk of two steps (after which Adam's moments exist and a snapshot holds a copy of them)
/// and a second such chunk, whose last step is the trainer's worst: it holds the last chunk's
/// snapshot, the candidate one and the step's own model, moments and gradients.
fn measure(config: TrainerConfig, data: &latent_lab::data::DataSplit) -> (u64, u64) {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    LARGEST.store(0, Ordering::SeqCst);
    let mut trainer = Trainer::new(config, data, &common::device(), 1, None).unwrap();
    for _ in 0..2 {
        let stats = common::block_on(trainer.train_steps(2)).unwrap();
        assert!(stats.divergence.is_none());
    }
    let peak = PEAK.load(Ordering::SeqCst) - before;
    drop(trainer);
    (peak, LARGEST.load(Ordering::SeqCst))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

#[test]
fn the_memory_estimate_bounds_a_training_steps_measured_peak() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let data = common::dataset();
    let model = |architecture, covariance, latent, likelihood| {
        VaeConfig::new()
            .with_architecture(architecture)
            .with_covariance(covariance)
            .with_latent_size(latent)
            .with_likelihood(likelihood)
    };
    use Architecture::{Conv, Mlp};
    use Covariance::{Diagonal, Full};
    use Likelihood::{Bernoulli, Gaussian, GaussianLearned};
    // Each kind of model the page builds (and the widest a weights file may ask for), with
    // batch × samples small enough to run in seconds and large enough that what the estimate
    // counts, not its fixed allowance, decides each figure: the parameters' copies in the
    // first two, the step's tensors in the others.
    let grid = [
        (
            model(Mlp, Diagonal, 20, Bernoulli).with_hidden_size(2048),
            1,
            1,
        ),
        (model(Conv, Diagonal, 20, Bernoulli), 1, 1),
        (model(Mlp, Diagonal, 20, Bernoulli), 16, 256),
        (model(Mlp, Full, 64, GaussianLearned), 16, 256),
        (model(Conv, Diagonal, 20, Bernoulli), 4, 256),
        (model(Conv, Full, 64, Gaussian { sigma: 0.1 }), 2, 256),
    ];
    let mut table = String::new();
    let mut failures = Vec::new();
    for (model, samples, batch) in grid {
        let config = TrainerConfig::new(model)
            .with_objective(Objective::new().with_samples(samples))
            .with_batch_size(batch);
        let estimate = config.memory_estimate(data.train.len());
        let (peak, largest) = measure(config.clone(), &data);
        let ratio = estimate.total_bytes as f64 / peak as f64;
        let line = format!(
            "{:?} {:?} hidden {} latent {} {:?}, L = {samples}, batch {batch}: peak {:.1} MB, \
             estimate {:.1} MB ({ratio:.2}×); largest {:.1} MB, estimate {:.1} MB\n",
            config.model.architecture,
            config.model.covariance,
            config.model.hidden_size,
            config.model.latent_size,
            config.model.likelihood,
            mb(peak),
            mb(estimate.total_bytes),
            mb(largest),
            mb(estimate.largest_tensor_bytes),
        );
        table.push_str(&line);
        // An upper bound, and a close one: 1.05–1.50× across these and larger steps (up to
        // 16,384 samples per step, src/memory.rs), so a budget refuses little it could run.
        if !(1.0..=1.6).contains(&ratio) {
            failures.push(format!("total off: {line}"));
        }
        let largest_ratio = estimate.largest_tensor_bytes as f64 / largest as f64;
        if !(1.0..=2.0).contains(&largest_ratio) {
            failures.push(format!("largest tensor off: {line}"));
        }
    }
    println!("{table}");
    assert!(failures.is_empty(), "{failures:#?}\n{table}");
}

/// Settings the budget cannot hold are refused with the settings that decide it and both
/// figures, before anything is allocated.
#[test]
fn settings_over_budget_are_refused_with_a_reason() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let budget = MemoryBudget {
        total_bytes: 2 << 30,
        largest_tensor_bytes: 512 << 20,
    };
    let conv = TrainerConfig::new(VaeConfig::new().with_architecture(Architecture::Conv))
        .with_objective(Objective::new().with_samples(16))
        .with_batch_size(1024);
    let estimate = conv.memory_estimate(9000);
    assert!(estimate.total_bytes > budget.total_bytes, "{estimate:?}");
    let err = conv.check_memory(9000, budget).unwrap_err();
    for needle in [
        "conv",
        "L = 16",
        "batch 1,024",
        "GB",
        "2.1 GB",
        "lower the batch size",
    ] {
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    }
    let needed = format!("{:.1} GB", estimate.total_bytes as f64 / 1e9);
    assert!(err.contains(&needed), "`{err}` should say {needed}");
    // A megabyte over: the two figures still read differently.
    let close = MemoryBudget {
        total_bytes: estimate.total_bytes - 1_000_000,
        ..budget
    };
    let err = conv.check_memory(9000, close).unwrap_err();
    let figures: Vec<&str> = err
        .split("about ")
        .skip(1)
        .filter_map(|rest| rest.split([';', ':']).next())
        .collect();
    assert_eq!(figures.len(), 2, "{err}");
    assert_ne!(figures[0], figures[1], "{err}");

    // The page's default run fits, and the check returns the estimate.
    let default = TrainerConfig::new(VaeConfig::new());
    assert_eq!(
        default.check_memory(9000, budget),
        Ok(default.memory_estimate(9000))
    );

    // Within the total but over the largest buffer: a message of its own.
    let full = TrainerConfig::new(
        VaeConfig::new()
            .with_covariance(Covariance::Full)
            .with_latent_size(64),
    )
    .with_objective(Objective::new().with_samples(16))
    .with_batch_size(1024);
    let estimate = full.memory_estimate(9000);
    let tight = MemoryBudget {
        total_bytes: estimate.total_bytes,
        largest_tensor_bytes: estimate.largest_tensor_bytes - 1,
    };
    let err = full.check_memory(9000, tight).unwrap_err();
    for needle in ["MLP", "full covariance", "L = 16", "single buffer", "MB"] {
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    }
    assert_eq!(
        full.check_memory(
            9000,
            MemoryBudget {
                largest_tensor_bytes: estimate.largest_tensor_bytes,
                ..tight
            }
        ),
        Ok(estimate)
    );
}

/// When the model fits and its training images tip it over, the refusal says so: the images'
/// count and size first, and fewer of them as the first remedy.
#[test]
fn data_that_tips_the_budget_is_named_in_the_refusal() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let config = TrainerConfig::new(VaeConfig::new());
    let small = config.memory_estimate(9_000);
    let large = config.memory_estimate(63_000);
    let budget = MemoryBudget {
        total_bytes: (small.total_bytes + large.total_bytes) / 2,
        largest_tensor_bytes: 1 << 30,
    };
    assert!(config.check_memory(9_000, budget).is_ok());
    let err = config.check_memory(63_000, budget).unwrap_err();
    for needle in [
        "with 63,000 training images (198 MB on the device)",
        "train on fewer images, or lower the batch size or L",
    ] {
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    }
}
