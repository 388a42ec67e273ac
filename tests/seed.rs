//! A training run's seed, from the options the page sends: alone in this file, see below.

mod common;

use latent_lab::web::TrainerOptions;

const MODEL: &str = r#""model": {"latentSize": 20, "likelihood": {"kind": "bernoulli"}, "covariance": "Diagonal", "architecture": "Mlp"}"#;

fn options(json: &str) -> Result<TrainerOptions, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

/// A seed in the options makes a run repeatable (the browser test that holds the two wasm builds
/// to each other relies on it): it is taken as given, and two trainers opened with it train the
/// same steps. Without one, each trainer draws its own.
///
/// Alone in its test binary: burn's CPU backend draws from one process-wide generator, which
/// tests running beside it in the same process would draw from too.
#[test]
fn a_seed_in_the_options_repeats_the_run_and_none_draws_a_fresh_one() {
    let seeded = options(r#"{"backend": "cpu", "seed": 20261203}"#).unwrap();
    assert_eq!(seeded.seed_or_fresh(), Ok(20261203));
    let unseeded = options(r#"{"backend": "cpu"}"#).unwrap();
    assert_ne!(
        unseeded.seed_or_fresh().unwrap(),
        unseeded.seed_or_fresh().unwrap()
    );
    for bad in ["-1", "1.5", "\"7\""] {
        assert!(
            options(&format!(r#"{{"backend": "cpu", "seed": {bad}}}"#)).is_err(),
            "seed {bad}"
        );
    }

    let dataset = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/data/mnist-10k.bin"
    ))
    .unwrap();
    let run = |json: &str| {
        let options = options(json).unwrap();
        let seed = options.seed_or_fresh().unwrap();
        let data = latent_lab::data::DataSplit::parse(&dataset).unwrap();
        let config = options.trainer_config(None, data.train.len()).unwrap();
        let mut trainer =
            latent_lab::trainer::Trainer::new(config, &data, &common::device(), seed, None)
                .unwrap();
        // The figures of the steps, not the weights file, whose parameter ids are new each time.
        let stats = common::block_on(trainer.train_steps(3)).unwrap();
        format!("{:?}", stats.train)
    };
    let json = |seed: u64| {
        format!(
            r#"{{"backend": "cpu", {MODEL}, "optimizer": {{"batchSize": 16}}, "seed": {seed}}}"#
        )
    };
    assert_eq!(run(&json(5)), run(&json(5)), "the same seed, the same run");
    assert_ne!(run(&json(5)), run(&json(6)), "another seed, another run");
}
