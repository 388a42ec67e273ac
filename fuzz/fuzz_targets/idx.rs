//! A person's IDX files on arbitrary bytes: the first four (a little-endian u32) say how long the
//! images file is, and the labels file is the rest; a dataset (finished into a dataset file) or
//! a reason, never a panic.
#![no_main]

use latent_lab::data::own::OwnDataset;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Some((head, rest)) = bytes.split_first_chunk::<4>() else {
        return;
    };
    let at = (u32::from_le_bytes(*head) as usize).min(rest.len());
    let (images, labels) = rest.split_at(at);
    for labels in [None, Some(labels)] {
        if let Ok(dataset) = OwnDataset::from_idx("fuzz", images, labels) {
            let _ = dataset.finish(10.0, 1);
        }
    }
});
