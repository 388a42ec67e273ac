//! A dataset a person brings (IDX files, a folder of images, a sprite sheet) or draws, built into
//! a dataset file ([`super::write_own`]) with a held-out split fixed by a seed.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::bounds::{
    MAX_CELL_SIDE, MAX_HELDOUT_PERCENT, MAX_IMAGES, MIN_HELDOUT_PERCENT, MIN_IMAGES,
    check_conversion, check_count, check_image_pixels, converted_pixels,
};
use super::convert::{convert_grey, convert_rgba};
use super::{SIDE, idx, write_own};
use crate::progress::thousands;

const PIXELS: usize = SIDE * SIDE;
/// A sprite sheet's cell whose converted pixels all stay at or below this is empty (the unused
/// cells at the end of a sheet), and skipped.
const BLANK_CELL_MAX: u8 = 16;

/// Where the images came from, for saying what was done to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Idx {
        rows: usize,
        cols: usize,
    },
    Images {
        width: usize,
        height: usize,
    },
    Sheet {
        cell_width: usize,
        cell_height: usize,
    },
    Drawn,
}

/// Images being collected into a dataset.
#[derive(Debug, Clone)]
pub struct OwnDataset {
    name: String,
    origin: Option<Origin>,
    /// `len × 28 × 28` grey levels.
    pixels: Vec<u8>,
    labels: Vec<Option<u8>>,
    inverted: usize,
    transparent: usize,
    blank_cells: usize,
    transposed: bool,
    /// Pixels the conversions so far have read (bounded by `bounds::MAX_CONVERTED_PIXELS`).
    converted_pixels: u64,
}

impl OwnDataset {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            origin: None,
            pixels: Vec::new(),
            labels: Vec::new(),
            inverted: 0,
            transparent: 0,
            blank_cells: 0,
            transposed: false,
            converted_pixels: 0,
        }
    }

    /// The images of an IDX file, with one label each from a labels file when given. 28×28
    /// images are taken as they are; others are padded to square and area-averaged, never
    /// inverted (the format says what background its values have).
    pub fn from_idx(name: &str, images: &[u8], labels: Option<&[u8]>) -> Result<Self, String> {
        let images = idx::read_images(images)?;
        check_count(images.count)?;
        let resized = (images.rows, images.cols) != (SIDE, SIDE);
        if resized {
            check_conversion(
                &format!("{} IDX images", thousands(images.count)),
                images.count,
                images.cols,
                images.rows,
                0,
            )?;
        }
        let labels = labels
            .map(|bytes| idx::read_labels(bytes).map_err(|e| format!("the labels file: {e}")))
            .transpose()?;
        if let Some(labels) = &labels
            && labels.len() != images.count
        {
            return Err(format!(
                "the labels file has {} labels for {} images",
                thousands(labels.len()),
                thousands(images.count)
            ));
        }
        let mut dataset = Self::new(name);
        dataset.origin = Some(Origin::Idx {
            rows: images.rows,
            cols: images.cols,
        });
        let size = images.rows * images.cols;
        if !resized {
            dataset.pixels = images.pixels;
        } else {
            dataset.converted_pixels =
                converted_pixels(images.cols, images.rows) * images.count as u64;
            dataset.pixels.reserve(images.count * PIXELS);
            for image in images.pixels.chunks_exact(size) {
                let grey = image.iter().map(|&v| v as f32).collect();
                dataset
                    .pixels
                    .extend(convert_grey(grey, images.cols, images.rows, false).0);
            }
        }
        dataset.labels = match labels {
            Some(labels) => labels.into_iter().map(Some).collect(),
            None => vec![None; images.count],
        };
        Ok(dataset)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Refuses, before anything of them is decoded, a set of `count` images of `width × height`
    /// (the size of the first) that the page would not take: too many, or too costly to convert.
    pub fn plan_images(&self, count: usize, width: usize, height: usize) -> Result<(), String> {
        check_count(count)?;
        check_image_pixels(width, height)?;
        check_conversion(
            &format!("{} images", thousands(count)),
            count,
            width,
            height,
            0,
        )
    }

    /// Refuses, before it is decoded, an image that [`Self::add_image`] would not take: another
    /// size than the images before it, one too many, or too costly to decode or convert.
    pub fn check_image(&self, width: usize, height: usize) -> Result<(), String> {
        match self.origin {
            None => {}
            Some(Origin::Images {
                width: w,
                height: h,
            }) if (w, h) == (width, height) => {}
            Some(Origin::Images {
                width: w,
                height: h,
            }) => {
                return Err(format!(
                    "it is {width}×{height}, but the images before it are {w}×{h}: every image \
                     of a set must be the same size"
                ));
            }
            Some(_) => return Err("images cannot be added to this dataset".into()),
        }
        check_count(self.len() + 1)?;
        check_image_pixels(width, height)?;
        check_conversion("an image", 1, width, height, self.converted_pixels)
    }

    /// Adds a decoded image, `width × height` RGBA. Every image of a set must have the size of
    /// the first: a set of mixed sizes would be scaled by different amounts, its strokes of
    /// different widths.
    pub fn add_image(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        label: Option<u8>,
    ) -> Result<(), String> {
        self.check_image(width, height)?;
        let (pixels, converted) = convert_rgba(rgba, width, height)?;
        self.origin = Some(Origin::Images { width, height });
        self.converted_pixels += converted_pixels(width, height);
        self.inverted += converted.inverted as usize;
        self.transparent += converted.transparent as usize;
        self.pixels.extend(pixels);
        self.labels.push(label);
        Ok(())
    }

    /// Refuses, before it is decoded, a sprite sheet of `width × height` cut into cells of
    /// `cell_width × cell_height` that [`Self::add_sheet`] would not take: cells that do not
    /// tile it, too many of them, or too costly to decode or convert.
    pub fn check_sheet(
        &self,
        width: usize,
        height: usize,
        cell_width: usize,
        cell_height: usize,
    ) -> Result<(), String> {
        if self.origin.is_some() {
            return Err("a sprite sheet makes a dataset of its own".into());
        }
        if cell_width.max(cell_height) > MAX_CELL_SIDE {
            return Err(format!(
                "cells of {cell_width}×{cell_height}: a cell's side is at most {} pixels",
                thousands(MAX_CELL_SIDE)
            ));
        }
        if cell_width == 0 || cell_height == 0 || cell_width > width || cell_height > height {
            return Err(format!(
                "cells of {cell_width}×{cell_height} do not fit a sheet of {width}×{height}"
            ));
        }
        if !width.is_multiple_of(cell_width) || !height.is_multiple_of(cell_height) {
            return Err(format!(
                "the sheet is {width}×{height}, not a whole number of {cell_width}×{cell_height} \
                 cells: check the cell size"
            ));
        }
        check_image_pixels(width, height)?;
        let cells = (width / cell_width) * (height / cell_height);
        if cells > MAX_IMAGES {
            return Err(format!(
                "the sheet has {} cells, more than the {} images the page trains on",
                thousands(cells),
                thousands(MAX_IMAGES)
            ));
        }
        check_conversion(
            &format!("the sheet's {} cells", thousands(cells)),
            cells,
            cell_width,
            cell_height,
            0,
        )
    }

    /// Adds every non-empty cell of a sprite sheet (`width × height` RGBA) cut into cells of
    /// `cell_width × cell_height`, row by row; returns how many were added.
    pub fn add_sheet(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        cell_width: usize,
        cell_height: usize,
    ) -> Result<usize, String> {
        self.check_sheet(width, height, cell_width, cell_height)?;
        if rgba.len() != width * height * 4 {
            return Err(format!(
                "{} bytes of pixels for a {width}×{height} sheet",
                rgba.len()
            ));
        }
        let (columns, rows) = (width / cell_width, height / cell_height);
        self.converted_pixels = converted_pixels(cell_width, cell_height) * (columns * rows) as u64;
        let mut cell = vec![0u8; cell_width * cell_height * 4];
        for row in 0..rows {
            for column in 0..columns {
                for y in 0..cell_height {
                    let from = ((row * cell_height + y) * width + column * cell_width) * 4;
                    cell[y * cell_width * 4..(y + 1) * cell_width * 4]
                        .copy_from_slice(&rgba[from..from + cell_width * 4]);
                }
                let (pixels, converted) = convert_rgba(&cell, cell_width, cell_height)?;
                if pixels.iter().all(|&p| p <= BLANK_CELL_MAX) {
                    self.blank_cells += 1;
                    continue;
                }
                self.inverted += converted.inverted as usize;
                self.transparent += converted.transparent as usize;
                self.pixels.extend(pixels);
                self.labels.push(None);
            }
        }
        self.origin = Some(Origin::Sheet {
            cell_width,
            cell_height,
        });
        Ok(self.len())
    }

    /// Adds a drawing from the page's pad, already 28×28 grey levels.
    pub fn add_drawing(&mut self, pixels: &[u8], label: Option<u8>) -> Result<(), String> {
        match self.origin {
            None | Some(Origin::Drawn) => self.origin = Some(Origin::Drawn),
            Some(_) => return Err("drawings cannot be added to this dataset".into()),
        }
        if pixels.len() != PIXELS {
            return Err(format!(
                "a drawing of {} pixels; the pad gives {PIXELS}",
                pixels.len()
            ));
        }
        check_count(self.len() + 1)?;
        self.pixels.extend_from_slice(pixels);
        self.labels.push(label);
        Ok(())
    }

    /// Swaps every image's rows and columns: EMNIST's IDX files store each image transposed
    /// (column by column), so its letters read as they were written only after this.
    pub fn transpose(&mut self) {
        for image in self.pixels.chunks_exact_mut(PIXELS) {
            for y in 0..SIDE {
                for x in y + 1..SIDE {
                    image.swap(y * SIDE + x, x * SIDE + y);
                }
            }
        }
        self.transposed = !self.transposed;
    }

    /// Whether every image has a label (the dataset is labelled only then).
    pub fn labelled(&self) -> bool {
        !self.labels.is_empty() && self.labels.iter().all(Option::is_some)
    }

    /// What was done to the images, for the page: one sentence.
    pub fn description(&self) -> String {
        let n = self.len();
        let count = thousands(n);
        let mut parts = vec![match self.origin {
            None => return "no images".into(),
            Some(Origin::Idx { rows, cols }) if (rows, cols) == (SIDE, SIDE) => {
                format!("{count} IDX images of 28×28, taken as they are")
            }
            Some(Origin::Idx { rows, cols }) => format!(
                "{count} IDX images of {cols}×{rows}, {}area-averaged to 28×28",
                if rows == cols {
                    ""
                } else {
                    "padded to square, "
                }
            ),
            Some(Origin::Images { width, height }) => format!(
                "{count} images of {width}×{height}, {}area-averaged to 28×28",
                if width == height {
                    ""
                } else {
                    "padded to square, "
                }
            ),
            Some(Origin::Sheet {
                cell_width,
                cell_height,
            }) => format!(
                "{count} cells of {cell_width}×{cell_height} from a sprite sheet{}, {}area-averaged \
                 to 28×28",
                match self.blank_cells {
                    0 => String::new(),
                    blank => format!(" ({} empty cells skipped)", thousands(blank)),
                },
                if cell_width == cell_height {
                    ""
                } else {
                    "padded to square, "
                }
            ),
            Some(Origin::Drawn) => format!("{count} drawings from the pad, 28×28 as drawn"),
        }];
        if self.transparent > 0 {
            parts.push(format!(
                "{} with transparency: their opacity taken as the ink",
                thousands(self.transparent)
            ));
        }
        if self.inverted > 0 {
            parts.push(format!(
                "{} of {count} inverted (a light background)",
                thousands(self.inverted)
            ));
        } else if matches!(
            self.origin,
            Some(Origin::Images { .. } | Origin::Sheet { .. })
        ) {
            parts.push("none inverted (dark backgrounds)".into());
        }
        if self.transposed {
            parts.push("transposed (rows and columns swapped, as EMNIST needs)".into());
        }
        let with_label = self.labels.iter().filter(|l| l.is_some()).count();
        parts.push(if self.labelled() {
            "labelled".into()
        } else if with_label > 0 {
            format!(
                "unlabelled: only {} of {count} had a label",
                thousands(with_label)
            )
        } else {
            "unlabelled".into()
        });
        parts.join("; ")
    }

    /// The dataset file: the images shuffled by `seed`, the last `heldout_percent` % of them
    /// (at least one) held out.
    pub fn finish(&self, heldout_percent: f64, seed: u64) -> Result<Vec<u8>, String> {
        let n = self.len();
        if n < MIN_IMAGES {
            return Err(format!(
                "{n} images; a dataset needs at least {MIN_IMAGES} to train"
            ));
        }
        check_count(n)?;
        if !(MIN_HELDOUT_PERCENT..=MAX_HELDOUT_PERCENT).contains(&heldout_percent) {
            return Err(format!(
                "the held-out share must be from {MIN_HELDOUT_PERCENT} to {MAX_HELDOUT_PERCENT} % \
                 (got {heldout_percent})"
            ));
        }
        let heldout = heldout_count(n, heldout_percent);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let labelled = self.labelled();
        let labels: Vec<u8> = order
            .iter()
            .map(|&i| {
                if labelled {
                    self.labels[i].unwrap_or(0)
                } else {
                    0
                }
            })
            .collect();
        let mut pixels = Vec::with_capacity(n * PIXELS);
        for &i in &order {
            pixels.extend_from_slice(&self.pixels[i * PIXELS..(i + 1) * PIXELS]);
        }
        Ok(write_own(
            &self.name,
            labelled,
            &labels,
            &pixels,
            n - heldout,
        ))
    }
}

/// Held-out images for a set of `n`: `percent` % of them rounded, at least one.
pub fn heldout_count(n: usize, percent: f64) -> usize {
    ((n as f64 * percent / 100.0).round() as usize).clamp(1, n.saturating_sub(1).max(1))
}
