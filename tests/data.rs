//! The committed dataset and its parser.

mod common;

use latent_lab::data::DataSplit;

#[test]
fn committed_dataset_has_the_documented_split() {
    let data = common::dataset();
    assert_eq!((data.train.len(), data.heldout.len()), (9000, 1000));
    assert_eq!((data.train.rows, data.train.cols), (28, 28));
    assert_eq!(data.train.pixels.len(), 9000 * 784);
    // Every class is on both sides of the split.
    for side in [&data.train, &data.heldout] {
        let mut counts = [0usize; 10];
        side.labels.iter().for_each(|&l| counts[l as usize] += 1);
        assert!(counts.iter().all(|&c| c * 20 > side.len()), "{counts:?}");
    }
    // Real digits: mostly background, with ink near 255.
    let ink = data.train.pixels.iter().filter(|&&p| p > 128).count() as f64;
    let share = ink / data.train.pixels.len() as f64;
    assert!((0.05..0.25).contains(&share), "ink share {share}");
}

#[test]
fn parser_refuses_damaged_files() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/data/mnist-10k.bin"
    ))
    .unwrap();
    let expect_err = |bytes: &[u8], needle: &str| {
        let err = DataSplit::parse(bytes).unwrap_err();
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    };
    expect_err(&bytes[..bytes.len() - 1], "declares");
    expect_err(&bytes[..10], "header");
    expect_err(&[], "header");
    let mut bad = bytes.clone();
    bad[0] = b'X';
    expect_err(&bad, "magic");
    let mut bad = bytes.clone();
    bad[8] = 3;
    expect_err(&bad, "version");
    let mut bad = bytes.clone();
    bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    expect_err(&bad, "declares");
    let mut bad = bytes.clone();
    bad[24] = 10;
    expect_err(&bad, "label");
    let mut bad = bytes;
    bad[16..20].copy_from_slice(&0u32.to_le_bytes());
    expect_err(&bad, "split");
}
