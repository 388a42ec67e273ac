//! A person's own data: IDX files (gzipped or not), images converted to 28×28 digits, sprite
//! sheets and drawings, built into a dataset file with a seeded held-out split, and trained on.

mod common;

use common::small_inputs::{gzip, small_idx_pair};
use latent_lab::data::own::{OwnDataset, heldout_count};
use latent_lab::data::{DataIdentity, DataSplit, DatasetLayout, PixelValues, idx};
use latent_lab::model::VaeConfig;
use latent_lab::trainer::{Trainer, TrainerConfig};
use latent_lab::web::Viewer;
use latent_lab::weights::{Precision, Weights};

/// The first `n` shipped training digits, as 28×28 bytes each.
fn digits(n: usize) -> Vec<u8> {
    common::dataset().train.pixels[..n * 784].to_vec()
}

/// A digit as an RGBA image `scale` times larger, dark ink on white paper.
fn on_paper(digit: &[u8], scale: usize) -> Vec<u8> {
    let side = 28 * scale;
    let mut rgba = Vec::with_capacity(side * side * 4);
    for y in 0..side {
        for x in 0..side {
            let ink = digit[(y / scale) * 28 + x / scale];
            rgba.extend([255 - ink, 255 - ink, 255 - ink, 255]);
        }
    }
    rgba
}

#[test]
fn idx_files_gzipped_or_not_read_back_what_was_written() {
    let pixels = digits(40);
    let labels: Vec<u8> = (0..40).map(|i| (i * 7 % 26) as u8).collect();
    let images = idx::write_images(&pixels, 40, 28, 28);
    let label_file = idx::write_labels(&labels);
    for file in [images.clone(), gzip(&images)] {
        let read = idx::read_images(&file).unwrap();
        assert_eq!((read.count, read.rows, read.cols), (40, 28, 28));
        assert_eq!(read.pixels, pixels);
    }
    assert_eq!(idx::read_labels(&gzip(&label_file)).unwrap(), labels);
    assert!(idx::looks_like_idx(&images) && idx::looks_like_idx(&gzip(&images)));
    assert!(!idx::looks_like_idx(b"\x89PNG\r\n"));

    // The dataset keeps every image and label, shuffled: the same for the same seed.
    let dataset = OwnDataset::from_idx("letters", &gzip(&images), Some(&label_file)).unwrap();
    assert!(
        dataset
            .description()
            .contains("40 IDX images of 28×28, taken as they are")
    );
    let file = dataset.finish(10.0, 7).unwrap();
    assert_eq!(file, dataset.finish(10.0, 7).unwrap());
    assert_ne!(file, dataset.finish(10.0, 8).unwrap());
    let layout = DatasetLayout::read(&file).unwrap();
    assert_eq!(
        (layout.name, layout.labelled, layout.train),
        ("letters", true, 36)
    );
    let mut pairs: Vec<(u8, &[u8])> = layout
        .labels
        .iter()
        .copied()
        .zip(layout.pixels.chunks_exact(784))
        .collect();
    let mut expected: Vec<(u8, &[u8])> = labels
        .iter()
        .copied()
        .zip(pixels.chunks_exact(784))
        .collect();
    pairs.sort();
    expected.sort();
    assert_eq!(pairs, expected);
    let split = DataSplit::parse(&file).unwrap();
    assert_eq!((split.train.len(), split.heldout.len()), (36, 4));
    assert_eq!(split.identity, DataIdentity::of(&file).unwrap());
    assert_eq!(split.identity.images, 40);
}

#[test]
fn idx_files_that_lie_or_are_cut_are_refused_with_the_reason() {
    let (images, labels) = small_idx_pair();
    let refuse = |images: &[u8], labels: Option<&[u8]>, needle: &str| {
        let err = OwnDataset::from_idx("bad", images, labels).unwrap_err();
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    };
    refuse(&images[..images.len() - 1], None, "truncated");
    refuse(&images[..10], None, "shorter than its 16-byte IDX header");
    refuse(&[], None, "shorter than an IDX header");
    let mut lying = images.clone();
    lying[4..8].copy_from_slice(&21u32.to_be_bytes());
    refuse(&lying, None, "declares 21 × 28 × 28");
    lying[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    refuse(&lying, None, "far more than any file");
    let mut magic = images.clone();
    magic[0] = 1;
    refuse(&magic, None, "not an IDX file");
    let mut floats = images.clone();
    floats[2] = 0x0d;
    refuse(&floats, None, "element type 0x0d");
    refuse(&idx::write_images(&[], 0, 28, 28), None, "holds no images");
    refuse(&labels, None, "labels (one dimension), not of images");
    refuse(
        &images,
        Some(&idx::write_labels(&[1; 19])),
        "19 labels for 20 images",
    );
    refuse(
        &images,
        Some(&images),
        "the labels file: this is an IDX file of images",
    );
    let too_many = idx::write_images(&vec![0; 70_001 * 4], 70_001, 2, 2);
    refuse(
        &too_many,
        None,
        "70,001 images; the page trains on at most 70,000",
    );
    // A small file that inflates past the limit is refused, not inflated in full.
    let bomb = gzip(&vec![0u8; 100_000_001]);
    assert!(bomb.len() < 200_000);
    refuse(&bomb, None, "inflates to more than 100 MB");
    let mut damaged = gzip(&images);
    let at = damaged.len() - 12;
    damaged[at] ^= 0xff;
    refuse(&damaged, None, "gzip stream is damaged");
}

#[test]
fn a_conversion_too_costly_is_refused_before_any_pixel_is_read() {
    // 16 images of 1 × 100,000: a 2.4 KB gzipped file whose padded squares are 10 billion
    // pixels. Refused from the header, at once, with the square and the limit.
    let tall = gzip(&idx::write_images(&vec![0; 16 * 100_000], 16, 100_000, 1));
    assert!(tall.len() < 4_000, "{} bytes", tall.len());
    let err = OwnDataset::from_idx("tall", &tall, None).unwrap_err();
    assert!(
        err.contains("each padded to a square of 100,000×100,000")
            && err.contains("the page converts at most 250,000,000"),
        "{err}"
    );
    // The same shape as images (sixteen 1 × 32,767 PNGs): refused from the first header.
    let empty = OwnDataset::new("pngs");
    let err = empty.plan_images(16, 1, 32_767).unwrap_err();
    assert!(
        err.contains("16 images of 1×32,767, each padded to a square of 32,767×32,767"),
        "{err}"
    );
    assert!(err.contains("images of at most 3,952×3,952"), "{err}");
    // One at a time, the running total counts: the image that would pass the limit is refused.
    let err = latent_lab::data::bounds::check_conversion("an image", 1, 2_000, 2_000, 248_000_000)
        .unwrap_err();
    assert!(err.contains("with the images before"), "{err}");
    // A sheet of many costly cells, and one image of too many pixels.
    let err = empty.check_sheet(4_000, 4_000, 1, 4_000).unwrap_err();
    assert!(err.contains("the sheet's 4,000 cells"), "{err}");
    let err = empty.check_image(8_000, 8_000).unwrap_err();
    assert!(
        err.contains("the page reads images of at most 50,000,000 pixels"),
        "{err}"
    );
}

#[test]
fn headers_say_what_a_file_is_before_it_is_read() {
    let (images, labels) = small_idx_pair();
    assert_eq!(idx::rank(&images), Some(3));
    assert_eq!(idx::rank(&labels), Some(1));
    // From a gzipped file's first bytes only, cut off mid-stream.
    let gzipped = gzip(&idx::write_images(&digits(600), 600, 28, 28));
    assert!(gzipped.len() > 10_000, "{} bytes", gzipped.len());
    assert_eq!(idx::rank(&gzipped[..1_000]), Some(3));
    assert_eq!(idx::rank(&gzip(&labels)), Some(1));
    assert_eq!(idx::rank(b"not idx"), None);
    // A PNG's header declares its size; a cut-off or foreign one is refused with the reason.
    let mut png = vec![137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13];
    png.extend(b"IHDR");
    png.extend(1u32.to_be_bytes());
    png.extend(32_767u32.to_be_bytes());
    png.extend([8, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        latent_lab::data::convert::declared_size(&png),
        Ok((1, 32_767))
    );
    assert!(latent_lab::data::convert::declared_size(&png[..14]).is_err());
    assert!(
        latent_lab::data::convert::declared_size(b"these are plain words, not an image")
            .unwrap_err()
            .contains("not a PNG, JPEG or WebP")
    );
}

#[test]
fn idx_images_of_another_size_are_area_averaged_to_28() {
    // 56×56 images, each pixel of a digit repeated 2×2: averaging gives the digit back exactly.
    let digit = digits(1);
    let big: Vec<u8> = (0..56 * 56)
        .map(|i| digit[(i / 56 / 2) * 28 + (i % 56) / 2])
        .collect();
    let pixels: Vec<u8> = big.iter().copied().cycle().take(16 * 56 * 56).collect();
    let dataset =
        OwnDataset::from_idx("big", &idx::write_images(&pixels, 16, 56, 56), None).unwrap();
    assert!(
        dataset
            .description()
            .contains("16 IDX images of 56×56, area-averaged to 28×28")
    );
    let split = DataSplit::parse(&dataset.finish(10.0, 1).unwrap()).unwrap();
    assert_eq!(&split.train.pixels[..784], &digit[..]);
}

#[test]
fn images_on_light_paper_are_inverted_and_averaged_down_to_the_digit() {
    let pixels = digits(16);
    let mut dataset = OwnDataset::new("paper");
    for (i, digit) in pixels.chunks_exact(784).enumerate() {
        dataset
            .add_image(&on_paper(digit, 3), 84, 84, Some(i as u8 % 4))
            .unwrap();
    }
    let description = dataset.description();
    assert!(
        description.contains("16 images of 84×84, area-averaged to 28×28"),
        "{description}"
    );
    assert!(
        description.contains("16 of 16 inverted (a light background)"),
        "{description}"
    );
    assert!(description.ends_with("labelled"), "{description}");
    let file = dataset.finish(25.0, 3).unwrap();
    let layout = DatasetLayout::read(&file).unwrap();
    assert_eq!(layout.train, 12);
    let mut got: Vec<&[u8]> = layout.pixels.chunks_exact(784).collect();
    let mut expected: Vec<&[u8]> = pixels.chunks_exact(784).collect();
    got.sort();
    expected.sort();
    assert_eq!(
        got, expected,
        "3×3 blocks of one grey level average back to it exactly"
    );
}

#[test]
fn a_transparent_image_is_its_opacity_and_a_tall_one_is_padded_not_cut() {
    let digit = digits(1);
    // Dark ink on a transparent background: the ink is where the opacity is.
    let rgba: Vec<u8> = digit.iter().flat_map(|&a| [0, 0, 0, a]).collect();
    let mut dataset = OwnDataset::new("icons");
    dataset.add_image(&rgba, 28, 28, None).unwrap();
    assert!(dataset.description().contains("1 with transparency"));
    // A 14-wide, 28-tall image of full ink is padded with its background to 28 square: a
    // 14-column band in the middle.
    let mut tall = OwnDataset::new("tall");
    let mut band = vec![0u8; 14 * 28 * 4];
    for y in 0..28 {
        for x in 0..14 {
            let value = if x == 0 || x == 13 || y == 0 || y == 27 {
                0
            } else {
                255
            };
            band[(y * 14 + x) * 4..][..4].copy_from_slice(&[value, value, value, 255]);
        }
    }
    tall.add_image(&band, 14, 28, None).unwrap();
    assert!(tall.description().contains("padded to square"));
    let (converted, inverted) = latent_lab::data::convert::convert_grey(
        band.chunks_exact(4).map(|p| p[0] as f32).collect(),
        14,
        28,
        true,
    );
    assert!(!inverted);
    assert_eq!(converted[14 * 28 + 6], 0, "padding left of the band");
    assert_eq!(converted[14 * 28 + 8], 255, "inside the band");
    assert_eq!(converted[14 * 28 + 21], 0, "padding right of the band");
    // Mixed sizes are refused, saying both.
    let err = tall.add_image(&rgba, 28, 28, None).unwrap_err();
    assert!(
        err.contains("28×28, but the images before it are 14×28"),
        "{err}"
    );
}

#[test]
fn a_sprite_sheet_is_cut_into_its_cells_and_empty_ones_skipped() {
    // 6 × 3 cells of 28×28 on white paper; the last two are empty.
    let pixels = digits(16);
    let (columns, rows) = (6, 3);
    let (width, height) = (28 * columns, 28 * rows);
    let mut sheet = vec![255u8; width * height * 4];
    for (i, digit) in pixels.chunks_exact(784).enumerate() {
        let (cx, cy) = (i % columns, i / columns);
        for y in 0..28 {
            for x in 0..28 {
                let ink = 255 - digit[y * 28 + x];
                let at = ((cy * 28 + y) * width + cx * 28 + x) * 4;
                sheet[at..at + 3].copy_from_slice(&[ink, ink, ink]);
            }
        }
    }
    let mut dataset = OwnDataset::new("sheet");
    assert_eq!(
        dataset.add_sheet(&sheet, width, height, 28, 28).unwrap(),
        16
    );
    let description = dataset.description();
    assert!(
        description.contains("16 cells of 28×28 from a sprite sheet (2 empty cells skipped)"),
        "{description}"
    );
    let layout_file = dataset.finish(10.0, 0).unwrap();
    let layout = DatasetLayout::read(&layout_file).unwrap();
    assert!(!layout.labelled);
    let mut got: Vec<&[u8]> = layout.pixels.chunks_exact(784).collect();
    let mut expected: Vec<&[u8]> = pixels.chunks_exact(784).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let err = OwnDataset::new("s")
        .add_sheet(&sheet, width, height, 30, 28)
        .unwrap_err();
    assert!(err.contains("not a whole number of 30×28 cells"), "{err}");
}

#[test]
fn too_few_images_or_a_bad_split_are_refused_with_the_limit() {
    let mut dataset = OwnDataset::new("drawn");
    for digit in digits(15).chunks_exact(784) {
        dataset.add_drawing(digit, Some(1)).unwrap();
    }
    let err = dataset.finish(10.0, 1).unwrap_err();
    assert!(err.contains("at least 16"), "{err}");
    dataset.add_drawing(&digits(1), None).unwrap();
    assert!(
        dataset
            .description()
            .contains("unlabelled: only 15 of 16 had a label")
    );
    assert!(
        dataset
            .finish(60.0, 1)
            .unwrap_err()
            .contains("from 1 to 50")
    );
    assert_eq!(heldout_count(16, 10.0), 2);
    assert_eq!(heldout_count(16, 1.0), 1, "at least one held out");
    assert_eq!(heldout_count(70_000, 10.0), 7_000);
    assert!(dataset.add_drawing(&[0; 10], None).is_err());
}

#[test]
fn sixteen_drawings_train_and_the_weights_record_their_data() {
    // A batch of 128 from 14 training images: each step takes all 14.
    let mut dataset = OwnDataset::new("sixteen");
    for digit in digits(16).chunks_exact(784) {
        dataset.add_drawing(digit, None).unwrap();
    }
    let file = dataset.finish(10.0, 5).unwrap();
    let data = DataSplit::parse(&file).unwrap();
    let config = TrainerConfig::new(VaeConfig::new().with_hidden_size(32).with_latent_size(2));
    assert_eq!(config.batch_size, 128);
    let device = common::device();
    let mut trainer = Trainer::new(
        config.with_data(PixelValues::GreyLevels),
        &data,
        &device,
        1,
        None,
    )
    .unwrap();
    assert_eq!(trainer.batch_size(), 14);
    let stats = common::block_on(trainer.train_steps(3)).unwrap();
    assert_eq!(stats.progress.images_seen, 42);
    let report = common::block_on(trainer.evaluate()).unwrap();
    let shown = &report.reconstructions;
    assert_eq!(shown.count, 2, "both held-out images");
    assert_eq!(shown.inputs.len(), 2 * 784);
    let as_scored: Vec<f32> = data
        .heldout
        .pixels
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    assert_eq!(shown.inputs, as_scored);
    for values in [&shown.at_mean, &shown.at_sample] {
        assert_eq!(values.len(), 2 * 784);
        assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    }
    assert_ne!(shown.at_mean, shown.at_sample, "a sample of z is not μ");
    let bytes = common::block_on(trainer.export_weights(Precision::F32)).unwrap();
    let weights = Weights::parse(&bytes).unwrap();
    assert_eq!(weights.trained_on.as_ref(), Some(&data.identity));
    assert_eq!(
        Viewer::new(&bytes).unwrap().trained_on(),
        Some(&data.identity)
    );
    // A record that could not have been written is refused.
    for (json, needle) in [
        (r#"{"name":"x","images":16,"hash":"00"}"#, "64 hex digits"),
        (
            &format!(
                r#"{{"name":"{}","images":16,"hash":"{}"}}"#,
                "n".repeat(201),
                "0".repeat(64)
            ),
            "over 200",
        ),
        (
            &format!(
                r#"{{"name":"x","images":9007199254740992,"hash":"{}"}}"#,
                "0".repeat(64)
            ),
            "2^53",
        ),
    ] {
        let err =
            Weights::parse(&common::with_metadata(&bytes, "dataset", Some(json))).unwrap_err();
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    }
    // The shipped models have no record: trained on the shipped digits.
    let shipped = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/models/latent-20.bpk"
    ))
    .unwrap();
    assert_eq!(Weights::parse(&shipped).unwrap().trained_on, None);
}

#[test]
fn transposing_swaps_rows_and_columns_as_emnist_needs() {
    let pixels = digits(16);
    let mut dataset =
        OwnDataset::from_idx("emnist", &idx::write_images(&pixels, 16, 28, 28), None).unwrap();
    dataset.transpose();
    assert!(dataset.description().contains("transposed"));
    let layout_file = dataset.finish(10.0, 9).unwrap();
    let layout = DatasetLayout::read(&layout_file).unwrap();
    let transposed: Vec<Vec<u8>> = pixels
        .chunks_exact(784)
        .map(|d| (0..784).map(|i| d[(i % 28) * 28 + i / 28]).collect())
        .collect();
    for image in layout.pixels.chunks_exact(784) {
        assert!(
            transposed.iter().any(|t| t == image),
            "every image is one of the digits transposed"
        );
    }
    // Twice is no change.
    dataset.transpose();
    assert!(!dataset.description().contains("transposed"));
    let again = DatasetLayout::read(&dataset.finish(10.0, 9).unwrap())
        .unwrap()
        .pixels
        .to_vec();
    let mut original: Vec<&[u8]> = pixels.chunks_exact(784).collect();
    let mut got: Vec<&[u8]> = again.chunks_exact(784).collect();
    original.sort();
    got.sort();
    assert_eq!(got, original);
}
