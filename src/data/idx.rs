//! IDX files, the format of MNIST, Fashion-MNIST, KMNIST and EMNIST (LeCun et al.): a magic of
//! two zero bytes, an element type and a dimension count, then each dimension as a big-endian
//! u32, then the elements row-major. Images are `[count, rows, cols]` of unsigned bytes, labels
//! `[count]`. Files are often distributed gzipped (`.gz`); both are read here.
//!
//! Everything is checked before anything is allocated beyond the input: a header that declares
//! more elements than the file holds is refused, and a gzipped file may not inflate past
//! [`MAX_FILE_BYTES`] (a small file that inflates to gigabytes is refused, not decompressed).

use std::io::Read;

use super::bounds::MAX_FILE_BYTES;

/// The element type every IDX file of images and labels people have uses: unsigned bytes.
const UNSIGNED_BYTE: u8 = 0x08;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `[count, rows, cols]` images of grey levels.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    /// `count × rows × cols` bytes.
    pub pixels: Vec<u8>,
}

/// An IDX file's contents: its dimensions and its bytes, after any gzip is undone.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub values: Vec<u8>,
}

/// Whether `bytes` begin as an IDX file (two zero bytes, then a type and a dimension count from 1
/// to 4; any type, so that a file of floats is refused as such) or a gzip stream (which may hold
/// one): what the page checks to tell a dataset file from a weights file or an image.
pub fn looks_like_idx(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
        || (bytes.len() >= 4 && bytes[..2] == [0, 0] && (1..=4).contains(&bytes[3]))
}

/// The number of dimensions an IDX file (gzipped or not) declares, read from its first bytes
/// alone (`head` may be the file's first few kilobytes): 3 for images, 1 for labels; `None` for
/// what does not begin as an IDX file. How two files brought together are told apart, so that a
/// refusal names the real fault rather than the order they came in.
pub fn rank(head: &[u8]) -> Option<u8> {
    let mut first = [0u8; 4];
    if head.starts_with(&GZIP_MAGIC) {
        // Only the first four inflated bytes: a cut-off stream still gives them.
        flate2::read::GzDecoder::new(head)
            .read_exact(&mut first)
            .ok()?;
    } else {
        first.copy_from_slice(head.get(..4)?);
    }
    (first[..2] == [0, 0]).then_some(first[3])
}

/// Reads an IDX file of unsigned bytes, gzipped or not.
pub fn read(bytes: &[u8]) -> Result<IdxArray, String> {
    let inflated;
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        inflated = gunzip(bytes)?;
        &inflated[..]
    } else {
        bytes
    };
    if bytes.len() < 4 {
        return Err(format!(
            "the file is {} bytes, shorter than an IDX header",
            bytes.len()
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err("not an IDX file (its first two bytes are not zero)".into());
    }
    if bytes[2] != UNSIGNED_BYTE {
        return Err(format!(
            "an IDX file of element type {:#04x}; only unsigned bytes (0x08), the type of \
             image and label files, are read",
            bytes[2]
        ));
    }
    let rank = bytes[3] as usize;
    if rank == 0 {
        return Err("the IDX header declares no dimensions".into());
    }
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(format!(
            "the file is {} bytes, shorter than its {header}-byte IDX header (truncated?)",
            bytes.len()
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let declared = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_FILE_BYTES)
        .ok_or_else(|| {
            format!(
                "the IDX header declares {} elements, far more than any file the page reads",
                describe_dims(&dims)
            )
        })?;
    let data = bytes.len() - header;
    if data != declared {
        return Err(format!(
            "the IDX header declares {} = {declared} bytes of data but the file holds {data}{}",
            describe_dims(&dims),
            if data < declared { " (truncated?)" } else { "" }
        ));
    }
    Ok(IdxArray {
        dims,
        values: bytes[header..].to_vec(),
    })
}

fn describe_dims(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" × ")
}

/// Reads an IDX file of images: three dimensions, `[count, rows, cols]`.
pub fn read_images(bytes: &[u8]) -> Result<IdxImages, String> {
    let array = read(bytes)?;
    match array.dims[..] {
        [count, rows, cols] => {
            if count == 0 {
                return Err("the IDX file holds no images".into());
            }
            if rows == 0 || cols == 0 {
                return Err(format!("the IDX file's images are {rows}×{cols}"));
            }
            Ok(IdxImages {
                count,
                rows,
                cols,
                pixels: array.values,
            })
        }
        [_] => Err("this is an IDX file of labels (one dimension), not of images".into()),
        _ => Err(format!(
            "an IDX file of {} dimensions; images have three (count, rows, columns)",
            array.dims.len()
        )),
    }
}

/// Reads an IDX file of labels: one dimension.
pub fn read_labels(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let array = read(bytes)?;
    match array.dims[..] {
        [_] => Ok(array.values),
        [_, _, _] => Err("this is an IDX file of images (three dimensions), not of labels".into()),
        _ => Err(format!(
            "an IDX file of {} dimensions; labels have one",
            array.dims.len()
        )),
    }
}

/// The IDX file of `count` images of `rows × cols` bytes.
pub fn write_images(pixels: &[u8], count: usize, rows: usize, cols: usize) -> Vec<u8> {
    write(&[count, rows, cols], pixels)
}

/// The IDX file of one label per image.
pub fn write_labels(labels: &[u8]) -> Vec<u8> {
    write(&[labels.len()], labels)
}

fn write(dims: &[usize], values: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, UNSIGNED_BYTE, dims.len() as u8];
    for &d in dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(values);
    bytes
}

/// Undoes gzip, refusing output past [`MAX_FILE_BYTES`] before it is all in memory.
fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("the gzip stream is damaged ({e})"))?;
    if out.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file inflates to more than {} MB, the most the page reads",
            MAX_FILE_BYTES / 1_000_000
        ));
    }
    Ok(out)
}
