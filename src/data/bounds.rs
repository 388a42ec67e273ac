//! How much of a person's data the page takes: images in a dataset, the size of a file, the
//! pixels one image may decode to and the pixels a dataset's conversion may read in all, the
//! held-out share, labels, a sprite sheet's cell and the split's seed. Each is checked before the
//! work it bounds starts, and [`crate::limits`] hands them to the page, which shows them.

use crate::progress::thousands;

/// Fewer images than this do not make a training set and a held-out one worth plotting.
pub const MIN_IMAGES: usize = 16;
/// The size of MNIST and Fashion-MNIST (train and test together).
pub const MAX_IMAGES: usize = 70_000;
/// The largest file the page reads, and the most a gzipped IDX file may inflate to.
pub const MAX_FILE_BYTES: usize = 100_000_000;
/// One image decodes to 4 bytes a pixel, once in the browser and once more in the wasm: 50
/// million pixels (a 7,071 × 7,071 photograph) are 200 MB each time.
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;
/// Converting an image reads the square it is padded to, once: a dataset may read at most this
/// many pixels in all. 250 million take about 1.2 s natively (`cargo run --release --example
/// conversion-cost`), a few seconds in the page's worker; a 1 × 100,000 image's square alone
/// would be 10 billion.
pub const MAX_CONVERTED_PIXELS: u64 = 250_000_000;
/// Held-out share of a person's dataset, in percent: the default and the accepted range.
pub const DEFAULT_HELDOUT_PERCENT: f64 = 10.0;
pub const MIN_HELDOUT_PERCENT: f64 = 1.0;
pub const MAX_HELDOUT_PERCENT: f64 = 50.0;
/// Labels are bytes: a folder per class gives at most this many classes.
pub const MAX_LABELS: usize = 256;
/// A sprite sheet's cell side, in pixels.
pub const MAX_CELL_SIDE: usize = 4096;
/// The split's seed is a u32: the page draws it from `crypto.getRandomValues` and shows it.
pub const MAX_SPLIT_SEED: u64 = u32::MAX as u64;

/// The pixels converting one `width × height` image reads: the square of its longer side.
pub fn converted_pixels(width: usize, height: usize) -> u64 {
    let side = width.max(height) as u64;
    side.saturating_mul(side)
}

/// Refuses an image too large to decode, before it is decoded.
pub fn check_image_pixels(width: usize, height: usize) -> Result<(), String> {
    let pixels = (width as u64).saturating_mul(height as u64);
    if pixels > MAX_IMAGE_PIXELS {
        return Err(format!(
            "it is {}×{} pixels ({}); the page reads images of at most {} pixels",
            thousands(width),
            thousands(height),
            thousands(pixels),
            thousands(MAX_IMAGE_PIXELS)
        ));
    }
    Ok(())
}

/// Refuses, before any pixel is read, `count` images of `width × height` whose conversion would
/// read more than [`MAX_CONVERTED_PIXELS`], with `already` pixels converted before them; `what`
/// names them ("16 images", "the sheet's 600 cells").
pub fn check_conversion(
    what: &str,
    count: usize,
    width: usize,
    height: usize,
    already: u64,
) -> Result<(), String> {
    let each = converted_pixels(width, height);
    let total = each.saturating_mul(count as u64).saturating_add(already);
    if total <= MAX_CONVERTED_PIXELS {
        return Ok(());
    }
    let side = width.max(height);
    let padding = if width == height {
        String::new()
    } else {
        format!(
            ", each padded to a square of {}×{}",
            thousands(side),
            thousands(side)
        )
    };
    // The largest square side that would fit beside what is converted already.
    let room = MAX_CONVERTED_PIXELS.saturating_sub(already) / count.max(1) as u64;
    let fits = (room as f64).sqrt().floor() as u64;
    let before = if already > 0 {
        " with the images before"
    } else {
        ""
    };
    Err(format!(
        "{what} of {}×{}{padding}: {} pixels to convert to 28×28{before}; the page converts at \
         most {} for a dataset (at this count, images of at most {}×{})",
        thousands(width),
        thousands(height),
        thousands(total),
        thousands(MAX_CONVERTED_PIXELS),
        thousands(fits),
        thousands(fits)
    ))
}

/// Refuses more images than the page trains on, saying how many there are.
pub fn check_count(n: usize) -> Result<(), String> {
    if n > MAX_IMAGES {
        return Err(format!(
            "{} images; the page trains on at most {}",
            thousands(n),
            thousands(MAX_IMAGES)
        ));
    }
    Ok(())
}
