//! A person's own data on its way to a dataset file: [`DatasetBuilder`] collects images from IDX
//! files, decoded image files, a sprite sheet or the drawing pad in the page's dataset worker,
//! checking each image's cost from its header before the browser decodes it
//! ([`image_size`], [`DatasetBuilder::check_image`]); [`idx_images_file`] /
//! [`idx_labels_file`] write a drawn set back out as IDX.

#[cfg(target_family = "wasm")]
use wasm_bindgen::prelude::*;

use super::WebError;
use crate::data::own::OwnDataset;
use crate::data::{convert, idx};

#[cfg_attr(target_family = "wasm", wasm_bindgen)]
pub struct DatasetBuilder {
    dataset: OwnDataset,
}

/// A label from JS: absent, or a whole number from 0 to 255.
fn label(value: Option<f64>) -> Result<Option<u8>, WebError> {
    match value {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && (0.0..=255.0).contains(&v) => Ok(Some(v as u8)),
        Some(v) => Err(format!("a label must be a whole number from 0 to 255 (got {v})").into()),
    }
}

impl DatasetBuilder {
    pub fn dataset(&self) -> &OwnDataset {
        &self.dataset
    }
}

#[cfg_attr(target_family = "wasm", wasm_bindgen)]
impl DatasetBuilder {
    /// An empty set named `name`, for images, a sprite sheet or drawings.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(constructor))]
    pub fn new(name: &str) -> DatasetBuilder {
        Self {
            dataset: OwnDataset::new(name),
        }
    }

    /// The images of an IDX images file (gzipped or not), labelled by an IDX labels file when
    /// given.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = fromIdx))]
    pub fn from_idx(
        name: &str,
        images: &[u8],
        labels: Option<Vec<u8>>,
    ) -> Result<DatasetBuilder, WebError> {
        Ok(Self {
            dataset: OwnDataset::from_idx(name, images, labels.as_deref())?,
        })
    }

    /// Refuses, before any of them is decoded, `count` images of `width × height` (the first's
    /// size) that would be too many or too costly to convert.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = planImages))]
    pub fn plan_images(&self, count: usize, width: usize, height: usize) -> Result<(), WebError> {
        Ok(self.dataset.plan_images(count, width, height)?)
    }

    /// Refuses, before it is decoded, an image of `width × height` that `addImage` would not
    /// take (another size, one too many, too costly to decode or convert).
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = checkImage))]
    pub fn check_image(&self, width: usize, height: usize) -> Result<(), WebError> {
        Ok(self.dataset.check_image(width, height)?)
    }

    /// Adds a decoded image: `rgba` as `ImageData.data` holds it.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = addImage))]
    pub fn add_image(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        label_value: Option<f64>,
    ) -> Result<(), WebError> {
        Ok(self
            .dataset
            .add_image(rgba, width, height, label(label_value)?)?)
    }

    /// Refuses, before it is decoded, a sprite sheet that `addSheet` would not take.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = checkSheet))]
    pub fn check_sheet(
        &self,
        width: usize,
        height: usize,
        cell_width: usize,
        cell_height: usize,
    ) -> Result<(), WebError> {
        Ok(self
            .dataset
            .check_sheet(width, height, cell_width, cell_height)?)
    }

    /// Adds the non-empty cells of a sprite sheet; returns the number of images.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = addSheet))]
    pub fn add_sheet(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        cell_width: usize,
        cell_height: usize,
    ) -> Result<usize, WebError> {
        Ok(self
            .dataset
            .add_sheet(rgba, width, height, cell_width, cell_height)?)
    }

    /// Adds a drawing: 784 grey levels, 0 the background.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = addDrawing))]
    pub fn add_drawing(&mut self, pixels: &[u8], label_value: Option<f64>) -> Result<(), WebError> {
        Ok(self.dataset.add_drawing(pixels, label(label_value)?)?)
    }

    /// Swaps every image's rows and columns (EMNIST stores its images transposed).
    pub fn transpose(&mut self) {
        self.dataset.transpose();
    }

    #[cfg_attr(target_family = "wasm", wasm_bindgen(getter))]
    pub fn length(&self) -> usize {
        self.dataset.len()
    }

    /// What was done to the images, in one sentence.
    pub fn description(&self) -> String {
        self.dataset.description()
    }

    /// The dataset file, shuffled by `seed` with `heldout_percent` % (at least one image) held
    /// out; refused with the limit when there are too few images or too many.
    pub fn finish(&self, heldout_percent: f64, seed: u32) -> Result<Vec<u8>, WebError> {
        Ok(self.dataset.finish(heldout_percent, seed as u64)?)
    }
}

/// `count` images of 28×28 (`pixels`, 784 bytes each) as an IDX images file.
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = idxImagesFile))]
pub fn idx_images_file(pixels: &[u8]) -> Result<Vec<u8>, WebError> {
    const SIDE: usize = crate::data::SIDE;
    if pixels.is_empty() || !pixels.len().is_multiple_of(SIDE * SIDE) {
        return Err(format!(
            "{} bytes are not a whole number of 28×28 images",
            pixels.len()
        )
        .into());
    }
    Ok(idx::write_images(
        pixels,
        pixels.len() / (SIDE * SIDE),
        SIDE,
        SIDE,
    ))
}

/// One label per image as an IDX labels file.
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = idxLabelsFile))]
pub fn idx_labels_file(labels: &[u8]) -> Vec<u8> {
    idx::write_labels(labels)
}

/// `[width, height]` as a PNG, JPEG or WebP file's header declares them (`head`: its first
/// bytes, or all of it), or the reason it says none.
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = imageSize))]
pub fn image_size(head: &[u8]) -> Result<Vec<u32>, WebError> {
    let (width, height) = convert::declared_size(head)?;
    let side = |n: usize| {
        u32::try_from(n).map_err(|_| WebError::from("an image of over 4 billion pixels a side"))
    };
    Ok(vec![side(width)?, side(height)?])
}

/// The dimensions an IDX file declares (3: images, 1: labels), from its first bytes, gzipped or
/// not; none when it does not begin as one.
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = idxRank))]
pub fn idx_rank(head: &[u8]) -> Option<u8> {
    idx::rank(head)
}

/// Whether a file's first bytes are an IDX file's or a gzip stream's: how a dropped file is told
/// from a weights file or an image.
#[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = looksLikeIdx))]
pub fn looks_like_idx(head: &[u8]) -> bool {
    idx::looks_like_idx(head)
}
