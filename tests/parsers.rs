//! The two parsers that read bytes from outside (weights files and the dataset) on damaged
//! input: every truncation and thousands of seeded mutations of a real file answer with a value
//! or a reason, never a panic, and where the answer is known in advance (a dataset, whose format
//! is simple enough to restate; a weights file damaged only in its tensor data) it is that
//! answer. A cheap, deterministic companion to the fuzz targets in `fuzz/` (RELIABILITY.md),
//! which run millions of inputs outside CI.

mod common;

use std::collections::BTreeMap;

use common::small_inputs::{dataset_of_side, small_dataset, small_weights};
use latent_lab::data::DataSplit;
use latent_lab::model::Vae;
use latent_lab::weights::{self, Precision, Weights};
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

/// Offset of the first tensor value: burnpack's 10-byte header (magic, version, metadata
/// length), the metadata, then tensor data from the next multiple of 256 bytes.
fn data_start(bytes: &[u8]) -> usize {
    let metadata = u32::from_le_bytes(bytes[6..10].try_into().unwrap()) as usize;
    (10 + metadata).div_ceil(256) * 256
}

/// The tensors a model holds, as burnpack reads them back from its export.
fn loaded_tensors(model: &Vae) -> BTreeMap<String, (Vec<usize>, Vec<u32>)> {
    let bytes = common::block_on(weights::export(model, None, Precision::F32)).unwrap();
    bits(common::file_tensors(&bytes))
}

fn bits(
    tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
) -> BTreeMap<String, (Vec<usize>, Vec<u32>)> {
    tensors
        .into_iter()
        .map(|(name, (shape, values))| {
            (name, (shape, values.iter().map(|v| v.to_bits()).collect()))
        })
        .collect()
}

#[test]
fn damaged_weights_files_answer_with_a_reason() {
    // Every damaged file is refused with a reason or loads exactly what it holds. For the
    // mutants that change only tensor data (past the metadata) the answer is known: burnpack
    // reads them, so the file is accepted exactly when every value is finite, and then the
    // model holds those values bit for bit; otherwise the reason names a tensor that holds a
    // NaN or an infinity. A mutant that touches the header or the metadata may be refused for
    // any reason, or still read (a changed or dropped parameter id, or a byte of the padding
    // before the data), but what it loads must then be the tensors burnpack reads from it.
    // Every file cut short is refused.
    let good = small_weights();
    let device = common::device();
    let load = |bytes: &[u8]| Weights::parse(bytes).and_then(|w| w.into_model(&device));
    assert_eq!(
        loaded_tensors(&load(&good).unwrap()),
        bits(common::file_tensors(&good))
    );
    for len in (0..good.len()).step_by(13) {
        assert!(
            load(&good[..len]).is_err(),
            "a file cut at {len} bytes was accepted"
        );
    }
    // The metadata length in burnpack's 10-byte header, declaring far more than there is.
    for declared in [u32::MAX, u32::MAX / 2, 1 << 30, good.len() as u32] {
        let mut bytes = good.clone();
        bytes[6..10].copy_from_slice(&declared.to_le_bytes());
        assert!(
            load(&bytes).is_err(),
            "metadata length {declared} was accepted"
        );
    }
    let start = data_start(&good);
    // Outcomes: tensor data changed, accepted / refused; header or metadata changed, the same.
    let mut outcomes = [0usize; 4];
    for bytes in mutants(&good, 4000, 1) {
        let result = load(&bytes);
        if bytes.len() < good.len() {
            let reason = result.expect_err("a file cut short is refused");
            assert!(!reason.is_empty());
            continue;
        }
        if bytes[..start] == good[..start] {
            let tensors = common::file_tensors(&bytes);
            let not_finite: Vec<&String> = tensors
                .iter()
                .filter(|(_, (_, values))| values.iter().any(|v| !v.is_finite()))
                .map(|(name, _)| name)
                .collect();
            match result {
                Ok(model) => {
                    assert!(not_finite.is_empty(), "accepted with NaN in {not_finite:?}");
                    assert_eq!(loaded_tensors(&model), bits(tensors));
                    outcomes[0] += 1;
                }
                Err(reason) => {
                    assert!(
                        not_finite.iter().any(|name| reason
                            == format!("tensor `{name}` holds NaN or infinite values")),
                        "`{reason}` for a file whose non-finite tensors are {not_finite:?}"
                    );
                    outcomes[1] += 1;
                }
            }
        } else {
            match result {
                Ok(model) => {
                    assert_eq!(loaded_tensors(&model), bits(common::file_tensors(&bytes)));
                    outcomes[2] += 1;
                }
                Err(reason) => {
                    assert!(!reason.is_empty());
                    outcomes[3] += 1;
                }
            }
        }
    }
    // Both answers were exercised on tensor data, and damage to the metadata was refused.
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0 && outcomes[3] > 0,
        "{outcomes:?}"
    );
}

/// What the documented format (src/data/mod.rs) makes of `bytes`, rule by rule in the order
/// they are checked: the number of training records and where the labels start, or the message
/// of the first rule broken.
fn dataset_by_the_format(bytes: &[u8]) -> Result<(usize, usize), String> {
    let len = bytes.len();
    if len < 24 {
        return Err(format!(
            "dataset is {len} bytes, shorter than its 24-byte header"
        ));
    }
    if &bytes[..8] != b"LLMNIST\0" {
        return Err("not a latent-lab MNIST file (bad magic)".into());
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
    let (version, count, train) = (u32_at(8), u32_at(12), u32_at(16));
    let (rows, cols) = (u16_at(20), u16_at(22));
    if version != 1 && version != 2 {
        return Err(format!(
            "dataset format version {version} is not supported (expected 1 or 2)"
        ));
    }
    if (rows, cols) != (28, 28) {
        return Err(format!("images are {rows}×{cols}; only 28×28 is supported"));
    }
    if train == 0 || train >= count {
        return Err(format!(
            "split of {train} training records out of {count} leaves a side empty"
        ));
    }
    let header = if version == 1 {
        24
    } else {
        if len < 32 {
            return Err(format!(
                "dataset is {len} bytes, shorter than its 32-byte header"
            ));
        }
        let (flags, name) = (u32_at(24), u32_at(28));
        if flags > 1 {
            return Err(format!("dataset has unknown flags {flags:#x}"));
        }
        if name > 200 {
            return Err(format!("dataset name is {name} bytes, over 200"));
        }
        let Some(name_bytes) = bytes.get(32..32 + name) else {
            return Err("dataset is shorter than its name".into());
        };
        if std::str::from_utf8(name_bytes).is_err() {
            return Err("dataset name is not UTF-8".into());
        }
        32 + name
    };
    let expected = header + count * (1 + 784);
    if len != expected {
        return Err(format!(
            "dataset is {len} bytes but its header declares {expected}"
        ));
    }
    if version == 1
        && let Some(bad) = bytes[24..24 + count].iter().position(|&l| l > 9)
    {
        return Err(format!("record {bad} has label {}", bytes[24 + bad]));
    }
    Ok((train, header))
}

/// `DataSplit::parse` against the format's answer: the same message when refused, and when
/// accepted the file's labels and pixels split at the declared record.
fn parses_as_the_format_says(bytes: &[u8]) -> bool {
    match (DataSplit::parse(bytes), dataset_by_the_format(bytes)) {
        (Ok(split), Ok((train, header))) => {
            let count = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
            let (labels, pixels) = bytes[header..].split_at(count);
            assert_eq!(split.train.labels, labels[..train]);
            assert_eq!(split.heldout.labels, labels[train..]);
            assert_eq!(split.train.pixels, pixels[..train * 784]);
            assert_eq!(split.heldout.pixels, pixels[train * 784..]);
            for images in [&split.train, &split.heldout] {
                assert_eq!((images.rows, images.cols), (28, 28));
            }
            true
        }
        (Err(got), Err(expected)) => {
            assert_eq!(got, expected);
            false
        }
        (got, expected) => panic!("parsed as {got:?}, the format says {expected:?}"),
    }
}

#[test]
fn damaged_datasets_answer_as_the_format_says() {
    // Every input, damaged or not, gets the format's answer, rule by rule (see
    // `dataset_by_the_format`): its exact message when refused, its exact split when accepted.
    let good = small_dataset(7, 5);
    assert!(parses_as_the_format_says(&good));
    let split = DataSplit::parse(&good).unwrap();
    assert_eq!((split.train.len(), split.heldout.len()), (5, 2));
    // As many pixels as 28 × 28, and consistent with the file's length, but not 28 × 28.
    for (rows, cols) in [(16, 49), (49, 16), (1, 784), (27, 28)] {
        assert!(!parses_as_the_format_says(&dataset_of_side(
            7, 5, rows, cols
        )));
    }
    for len in 0..good.len() {
        assert!(!parses_as_the_format_says(&good[..len]), "cut at {len}");
    }
    let with = |at: usize, value: &[u8]| {
        let mut bytes = good.clone();
        bytes[at..at + value.len()].copy_from_slice(value);
        bytes
    };
    // The edges of each rule: the split at each end, a label of 9 and of 10, another version,
    // one byte too many, and counts and sizes far beyond the bytes given.
    let accepted = [
        with(16, &6u32.to_le_bytes()),
        with(16, &1u32.to_le_bytes()),
        with(27, &[9]),
    ];
    for bytes in &accepted {
        assert!(parses_as_the_format_says(bytes));
    }
    let mut longer = good.clone();
    longer.push(0);
    let refused = [
        (
            with(16, &7u32.to_le_bytes()),
            "split of 7 training records out of 7 leaves a side empty",
        ),
        (
            with(16, &0u32.to_le_bytes()),
            "split of 0 training records out of 7 leaves a side empty",
        ),
        (with(27, &[10]), "record 3 has label 10"),
        (
            with(8, &3u32.to_le_bytes()),
            "dataset format version 3 is not supported (expected 1 or 2)",
        ),
        (
            with(0, b"LLMNISU"),
            "not a latent-lab MNIST file (bad magic)",
        ),
        (longer, "dataset is 5520 bytes but its header declares 5519"),
        (
            with(12, &u32::MAX.to_le_bytes()),
            "dataset is 5519 bytes but its header declares 3371549326599",
        ),
        (
            with(16, &u32::MAX.to_le_bytes()),
            "split of 4294967295 training records out of 7 leaves a side empty",
        ),
        (
            with(20, &u32::MAX.to_le_bytes()),
            "images are 65535×65535; only 28×28 is supported",
        ),
    ];
    for (bytes, message) in &refused {
        assert_eq!(DataSplit::parse(bytes).unwrap_err(), *message);
        assert!(!parses_as_the_format_says(bytes));
    }
    let mut outcomes = [0usize; 2];
    for bytes in mutants(&good, 20_000, 2) {
        outcomes[parses_as_the_format_says(&bytes) as usize] += 1;
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
    // The real file parses.
    assert_eq!(common::dataset().train.len(), 9000);
}

#[test]
fn damaged_own_datasets_answer_as_the_format_says() {
    // A person's dataset (version 2): a name, labels beyond 9.
    let labels: Vec<u8> = (0..20).map(|i| i * 12).collect();
    let pixels: Vec<u8> = (0..20 * 784).map(|i| (i * 31) as u8).collect();
    let good = latent_lab::data::write_own("brief ✓", true, &labels, &pixels, 16);
    assert!(parses_as_the_format_says(&good));
    for len in (0..good.len()).step_by(7) {
        assert!(!parses_as_the_format_says(&good[..len]), "cut at {len}");
    }
    let mut outcomes = [0usize; 2];
    for bytes in mutants(&good, 20_000, 3) {
        outcomes[parses_as_the_format_says(&bytes) as usize] += 1;
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn damaged_idx_files_answer_with_a_dataset_or_a_reason() {
    // Every truncation and 20,000 mutations of an images file and of a labels file, gzipped
    // and not: a dataset of the declared size, or a reason; never a panic.
    let (images, labels) = common::small_inputs::small_idx_pair();
    let gzipped = common::small_inputs::gzip(&images);
    let try_pair = |images: &[u8], labels: &[u8]| -> bool {
        match latent_lab::data::own::OwnDataset::from_idx("fuzz", images, Some(labels)) {
            Ok(dataset) => {
                assert!(!dataset.is_empty());
                true
            }
            Err(reason) => {
                assert!(!reason.is_empty());
                false
            }
        }
    };
    assert!(try_pair(&images, &labels) && try_pair(&gzipped, &labels));
    let mut outcomes = [0usize; 2];
    for good in [&images, &gzipped] {
        for len in 0..good.len() {
            assert!(!try_pair(&good[..len], &labels), "cut at {len}");
        }
        for bytes in mutants(good, 20_000, 4) {
            outcomes[try_pair(&bytes, &labels) as usize] += 1;
        }
    }
    for bytes in mutants(&labels, 5_000, 5) {
        outcomes[try_pair(&images, &bytes) as usize] += 1;
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}
