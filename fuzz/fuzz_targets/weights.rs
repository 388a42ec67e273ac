//! The weights parser on arbitrary bytes: it must answer every input with a model or a reason,
//! never a panic, an abort or an allocation the input merely declares. A file that parses is
//! also placed on the CPU, where its names and shapes are checked against its config.
#![no_main]

use latent_lab::device::cpu_device;
use latent_lab::weights::Weights;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(weights) = Weights::parse(bytes) {
        let _ = weights.into_model(&cpu_device());
    }
});
