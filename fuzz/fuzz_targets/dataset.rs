//! The dataset parser on arbitrary bytes: a split or a reason, never a panic.
#![no_main]

use latent_lab::data::DataSplit;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = DataSplit::parse(bytes);
});
