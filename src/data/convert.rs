//! Any image to a 28×28 grey-level digit as the models read one: light ink on a dark background,
//! 0 the background. The page decodes images with the browser's own decoders and hands their
//! RGBA pixels here.
//!
//! What each image gets, chosen from the image itself:
//! 1. **Grey levels.** An image with any transparency is a shape: its ink is its opacity, so a
//!    dark icon and a light one on a transparent background both come out as the shape. An
//!    opaque image's ink is its luminance (Rec. 601: 0.299 R + 0.587 G + 0.114 B).
//! 2. **Inverted when its background is light:** when the mean of its outermost ring of pixels is
//!    above mid-grey (a dark pen on white paper becomes light ink on black, as in MNIST).
//! 3. **Padded to square** with that background level, on both sides equally: nothing is cut.
//! 4. **Area-averaged to 28×28:** each output pixel is the mean of the input area it covers,
//!    fractional pixels weighted by their share (no aliasing, and exact for integer ratios).
//!
//! Binarising is not done here: the page's data setting binarises at training time.

use super::SIDE;

/// What converting one image did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    pub inverted: bool,
    /// Opacity taken as the ink.
    pub transparent: bool,
}

/// The width and height a PNG, JPEG or WebP file declares, read from its header alone (`bytes`
/// may be the file's first part), so that an image too large to decode or to convert is refused
/// before the browser decodes it.
pub fn declared_size(bytes: &[u8]) -> Result<(usize, usize), String> {
    match imagesize::blob_size(bytes) {
        Ok(size) if size.width > 0 && size.height > 0 => Ok((size.width, size.height)),
        Ok(size) => Err(format!(
            "its header declares {}×{} pixels",
            size.width, size.height
        )),
        Err(imagesize::ImageError::NotSupported) => {
            Err("it is not a PNG, JPEG or WebP image (its first bytes are no such header)".into())
        }
        Err(_) => {
            Err("its header is damaged or cut short: it does not say the image's size".into())
        }
    }
}

/// Converts `rgba` (`width × height × 4` bytes, row-major, not premultiplied) to
/// `SIDE × SIDE` grey levels.
pub fn convert_rgba(
    rgba: &[u8],
    width: usize,
    height: usize,
) -> Result<(Vec<u8>, Converted), String> {
    if width == 0 || height == 0 {
        return Err(format!("an image of {width}×{height} pixels"));
    }
    if rgba.len() != width * height * 4 {
        return Err(format!(
            "{} bytes of pixels for a {width}×{height} image (expected {})",
            rgba.len(),
            width * height * 4
        ));
    }
    let transparent = rgba.chunks_exact(4).any(|p| p[3] < 255);
    let grey: Vec<f32> = rgba
        .chunks_exact(4)
        .map(|p| {
            if transparent {
                p[3] as f32
            } else {
                0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
            }
        })
        .collect();
    let (pixels, inverted) = convert_grey(grey, width, height, !transparent);
    Ok((
        pixels,
        Converted {
            inverted,
            transparent,
        },
    ))
}

/// Converts `width × height` grey levels in `[0, 255]`; inverts them first when `may_invert`
/// and the background is light. Returns the digit and whether it was inverted.
pub fn convert_grey(
    mut grey: Vec<f32>,
    width: usize,
    height: usize,
    may_invert: bool,
) -> (Vec<u8>, bool) {
    let mut background = border_mean(&grey, width, height);
    let inverted = may_invert && background > 127.5;
    if inverted {
        grey.iter_mut().for_each(|v| *v = 255.0 - *v);
        background = 255.0 - background;
    }
    let side = width.max(height);
    let (left, top) = ((side - width) / 2, (side - height) / 2);
    let square = |x: usize, y: usize| -> f32 {
        if x < left || x >= left + width || y < top || y >= top + height {
            background
        } else {
            grey[(y - top) * width + (x - left)]
        }
    };
    let pixels = area_average(square, side, SIDE)
        .into_iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    (pixels, inverted)
}

/// The mean of the outermost ring of pixels.
fn border_mean(grey: &[f32], width: usize, height: usize) -> f32 {
    let (mut sum, mut count) = (0.0f64, 0usize);
    for y in 0..height {
        for x in 0..width {
            if y == 0 || x == 0 || y + 1 == height || x + 1 == width {
                sum += grey[y * width + x] as f64;
                count += 1;
            }
        }
    }
    (sum / count as f64) as f32
}

/// Resamples a `from × from` image (read through `at(x, y)`) to `to × to`: each output pixel is
/// the mean over the square of input it covers, a partly covered input pixel weighted by the
/// part. Upsampling repeats pixels (each output pixel then lies within one or two input pixels).
fn area_average(at: impl Fn(usize, usize) -> f32, from: usize, to: usize) -> Vec<f32> {
    let scale = from as f64 / to as f64;
    // Per output coordinate, the input pixels it covers and by how much: the same for x and y.
    let spans: Vec<Vec<(usize, f64)>> = (0..to)
        .map(|o| {
            let (start, end) = (o as f64 * scale, (o + 1) as f64 * scale);
            let mut span = Vec::new();
            let mut i = start.floor() as usize;
            while (i as f64) < end && i < from {
                let cover = (end.min(i as f64 + 1.0) - start.max(i as f64)).max(0.0);
                if cover > 0.0 {
                    span.push((i, cover));
                }
                i += 1;
            }
            span
        })
        .collect();
    let mut out = Vec::with_capacity(to * to);
    for ys in &spans {
        for xs in &spans {
            let (mut sum, mut weight) = (0.0f64, 0.0f64);
            for &(y, wy) in ys {
                for &(x, wx) in xs {
                    sum += at(x, y) as f64 * wx * wy;
                    weight += wx * wy;
                }
            }
            out.push((sum / weight) as f32);
        }
    }
    out
}
