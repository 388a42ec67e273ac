//! The two parsers that read bytes from outside (weights files and the dataset) on damaged
//! input: every truncation and thousands of seeded mutations of a real file answer with a value
//! or a reason, never a panic. A cheap, deterministic companion to the fuzz targets in `fuzz/`
//! (RELIABILITY.md), which run millions of inputs outside CI.

mod common;

use common::small_inputs::{dataset_of_side, small_dataset, small_weights};
use latent_lab::data::MnistSplit;
use latent_lab::weights::Weights;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Mutants of `good`: single bytes set at random, random u32 fields written anywhere (lengths
/// and offsets that declare gigabytes), cut-and-spliced chunks, and tails cut off.
fn mutants(good: &[u8], count: usize, seed: u64) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count).map(move |i| {
        let mut bytes = good.to_vec();
        let at = rng.random_range(0..bytes.len());
        match i % 4 {
            0 => bytes[at] = rng.random(),
            1 => {
                let value: u32 = match rng.random_range(0..3) {
                    0 => u32::MAX,
                    1 => rng.random(),
                    _ => rng.random_range(0..1024),
                };
                let at = at.min(bytes.len().saturating_sub(4));
                bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
            2 => {
                let to = rng.random_range(0..bytes.len());
                let len = rng.random_range(0..64).min(bytes.len() - at.max(to));
                bytes.copy_within(at..at + len, to);
            }
            _ => bytes.truncate(at),
        }
        bytes
    })
}

#[test]
fn damaged_weights_files_answer_with_a_reason() {
    let good = small_weights();
    let device = common::device();
    assert!(Weights::parse(&good).unwrap().into_model(&device).is_ok());
    let mut accepted = 0;
    let check = |bytes: &[u8]| match Weights::parse(bytes) {
        Ok(w) => w.into_model(&device).is_ok(),
        Err(reason) => {
            assert!(!reason.is_empty());
            false
        }
    };
    for len in (0..good.len()).step_by(13) {
        assert!(
            !check(&good[..len]),
            "a file cut at {len} bytes was accepted"
        );
    }
    // The metadata length in burnpack's 10-byte header, declaring far more than there is.
    for declared in [u32::MAX, u32::MAX / 2, 1 << 30, good.len() as u32] {
        let mut bytes = good.clone();
        bytes[6..10].copy_from_slice(&declared.to_le_bytes());
        assert!(!check(&bytes), "metadata length {declared} was accepted");
    }
    for bytes in mutants(&good, 4000, 1) {
        accepted += check(&bytes) as usize;
    }
    // Most single changes land in tensor data and leave a valid (different) model: what
    // matters is that none panicked, and that some were refused.
    assert!(accepted < 4000, "{accepted}");
}

#[test]
fn damaged_datasets_answer_with_a_reason() {
    let good = small_dataset(7, 5);
    let split = MnistSplit::parse(&good).unwrap();
    assert_eq!((split.train.len(), split.heldout.len()), (5, 2));
    // As many pixels as 28 × 28, and consistent with the file's length, but not 28 × 28.
    for (rows, cols) in [(16, 49), (49, 16), (1, 784), (27, 28)] {
        let refused = MnistSplit::parse(&dataset_of_side(7, 5, rows, cols)).unwrap_err();
        assert!(refused.contains("only 28×28"), "{rows}×{cols}: {refused}");
    }
    for len in 0..good.len() {
        assert!(MnistSplit::parse(&good[..len]).is_err(), "cut at {len}");
    }
    // Declared counts and sizes far beyond the bytes given.
    for (at, value) in [
        (12, u32::MAX),
        (16, u32::MAX),
        (12, 1 << 28),
        (20, u32::MAX),
    ] {
        let mut bytes = good.clone();
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        assert!(
            MnistSplit::parse(&bytes).is_err(),
            "field at {at} = {value}"
        );
    }
    let mut refused = 0;
    for bytes in mutants(&good, 20_000, 2) {
        refused += MnistSplit::parse(&bytes).is_err() as usize;
    }
    assert!(refused > 0);
    // The real file parses.
    assert_eq!(common::dataset().train.len(), 9000);
}
