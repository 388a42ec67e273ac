//! What converting brought images to 28×28 costs, natively, at the page's limit on the pixels a
//! dataset's conversion may read (`bounds::MAX_CONVERTED_PIXELS`): images of a few shapes whose
//! padded squares add up to that limit, and the seconds each set takes.
//! `cargo run --release --example conversion-cost`

use std::time::Instant;

use latent_lab::data::bounds::{MAX_CONVERTED_PIXELS, MAX_IMAGES, converted_pixels};
use latent_lab::data::own::OwnDataset;

fn main() {
    println!(
        "images converted to 28×28, reading up to {MAX_CONVERTED_PIXELS} padded pixels in all:"
    );
    for (width, height) in [(28, 28), (256, 256), (1_000, 1_000), (2_000, 500)] {
        let count =
            ((MAX_CONVERTED_PIXELS / converted_pixels(width, height)) as usize).min(MAX_IMAGES);
        let rgba: Vec<u8> = (0..width * height * 4)
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let mut builder = OwnDataset::new("cost");
        let start = Instant::now();
        for _ in 0..count {
            builder
                .add_image(&rgba, width, height, None)
                .expect("within the limits");
        }
        let seconds = start.elapsed().as_secs_f64();
        println!("  {count:>6} of {width}×{height}: {seconds:.2} s");
    }
}
