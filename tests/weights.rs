//! The weights file: what it refuses, and the models shipped with the page.

mod common;

use latent_lab::data::PixelValues;
use latent_lab::evaluation::evaluate;
use latent_lab::limits::{Range, setting_limits};
use latent_lab::model::{Likelihood, VaeConfig};
use latent_lab::objective::Objective;
use latent_lab::optimizer_settings::OptimizerSettings;
use latent_lab::progress::{MAX_SAFE_INTEGER, Progress};
use latent_lab::trainer::TrainerConfig;
use latent_lab::weights::{self, Precision, Weights};
use serde_json::Value;

fn exported(latent: usize) -> Vec<u8> {
    let config = VaeConfig::new().with_latent_size(latent);
    let model = config.init(&common::device());
    common::block_on(weights::export(&model, None, Precision::F32)).unwrap()
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{:?} not in the file", String::from_utf8_lossy(from)));
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

/// Offset of the first tensor's first value: burnpack's 10-byte header (magic, version,
/// metadata length), the metadata, then tensor data aligned to 256 bytes.
fn first_value(bytes: &[u8]) -> usize {
    let metadata = u32::from_le_bytes(bytes[6..10].try_into().unwrap()) as usize;
    (10 + metadata).div_ceil(256) * 256
}

fn refused(bytes: &[u8], needle: &str) {
    let err = match Weights::parse(bytes) {
        Err(err) => err,
        Ok(weights) => weights.into_model(&common::device()).unwrap_err(),
    };
    assert!(err.contains(needle), "`{err}` should mention `{needle}`");
}

#[test]
fn damaged_files_are_refused_with_a_reason() {
    let good = exported(20);
    assert!(Weights::parse(&good).is_ok());
    refused(&good[..good.len() / 2], "weights file");
    refused(&good[..8], "not a latent-lab weights file");
    refused(&[], "not a latent-lab weights file");
    // Each case: the damaged file, and what its refusal must say.
    let cases: [(Vec<u8>, &str); 6] = [
        (
            b"latent-lab? no, a text file".to_vec(),
            "not a latent-lab weights file",
        ),
        (
            replace(&good, b"version\x612", b"version\x613"),
            "version 3 is not supported",
        ),
        (
            replace(&good, b"latent-lab/vae", b"latent-lab/xyz"),
            "format",
        ),
        // The config says 21 dimensions; the tensors hold 20.
        (
            replace(&good, b"\"latent_size\":20", b"\"latent_size\":21"),
            "shape mismatch",
        ),
        (
            replace(&good, b"\"latent_size\":20", b"\"latent_size\":99"),
            "latent size",
        ),
        (
            replace(&good, b"\"hidden_size\":400", b"\"hidden_size\":9e9"),
            "config",
        ),
    ];
    for (bytes, reason) in &cases {
        refused(bytes, reason);
    }
    let mut nan = good.clone();
    let at = first_value(&nan);
    nan[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    refused(&nan, "NaN");
    let mut infinite = good.clone();
    infinite[at..at + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    refused(&infinite, "infinite");
    // A header declaring far more metadata than the file holds.
    let mut huge = good.clone();
    huge[6..10].copy_from_slice(&u32::MAX.to_le_bytes());
    refused(&huge, "not a latent-lab weights file");
}

#[test]
fn shipped_models_load_and_score_what_the_readme_records() {
    let data = common::dataset();
    let device = common::device();
    device.seed(1);
    // The README's figures for these files (`latent-lab evaluate`, seed 1): −ELBO,
    // reconstruction and KL on the held-out digits binarised once. Each term is held to both
    // sides: a lost or doubled KL, a likelihood scored on grey levels instead, or a stale or
    // mis-trained file all move a term by more than the 1 nat allowed for a different draw of
    // z (the one-sample estimate's standard error over 1,000 digits is about 0.3 nats).
    for (latent, reconstruction, kl) in [(20, 75.78, 25.77), (2, 142.34, 5.96)] {
        let path = format!(
            "{}/www/models/latent-{latent}.bpk",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap();
        let weights = Weights::parse(&bytes).unwrap();
        assert_eq!(weights.config, VaeConfig::new().with_latent_size(latent));
        assert_eq!(weights.data, PixelValues::Binarised, "{path}");
        assert!(weights.progress.unwrap().step > 0);
        let heldout = weights.data.heldout(&data.heldout).to_tensor(&device);
        let model = weights.into_model(&device).unwrap();
        let stats = common::block_on(evaluate(&model, &heldout)).unwrap();
        let elbo = stats.elbo;
        assert!(
            (elbo.reconstruction - reconstruction).abs() < 1.0,
            "{path}: {elbo:?}"
        );
        assert!((elbo.kl - kl).abs() < 1.0, "{path}: {elbo:?}");
    }
}

/// A small weights file (hidden size 1, latent 1) with every optional metadata entry.
fn small_with_metadata() -> Vec<u8> {
    let model = VaeConfig::new()
        .with_hidden_size(1)
        .with_latent_size(1)
        .init(&common::device());
    let progress = Progress {
        step: 10,
        epoch: 1,
        epoch_fraction: 0.5,
        images_seen: 1280,
    };
    let optimizer = OptimizerSettings {
        learning_rate: 1e-3,
        batch_size: 128,
    };
    let training = weights::Training {
        data: PixelValues::Binarised,
        objective: &Objective::new(),
        progress: &progress,
        optimizer: &optimizer,
        dataset: &common::identity(),
    };
    common::block_on(weights::export(&model, Some(training), Precision::F32)).unwrap()
}

#[test]
fn counts_a_javascript_number_cannot_hold_exactly_are_refused() {
    let good = small_with_metadata();
    let progress = |step: &str, images: &str| {
        format!(r#"{{"step":{step},"epoch":0,"epochFraction":0.25,"imagesSeen":{images}}}"#)
    };
    let parse = |json: &str| Weights::parse(&common::with_metadata(&good, "progress", Some(json)));
    // At the limit: accepted, with exactly that count.
    let limit = (1u64 << 53) - 1;
    let at = parse(&progress(&limit.to_string(), &limit.to_string())).unwrap();
    assert_eq!(at.progress.unwrap().step, limit);
    assert_eq!(at.progress.unwrap().images_seen, limit);
    for beyond in [
        "9007199254740992",
        "9007199254740993",
        "18446744073709551615",
    ] {
        let err = parse(&progress(beyond, beyond)).unwrap_err();
        assert!(
            err.contains("progress.step") && err.contains("9007199254740991"),
            "{err}"
        );
        let err = parse(&progress("1", beyond)).unwrap_err();
        assert!(err.contains("progress.imagesSeen"), "{err}");
    }
    let err = parse(r#"{"step":5,"epoch":9007199254740993,"epochFraction":0,"imagesSeen":5}"#)
        .unwrap_err();
    assert!(err.contains("progress.epoch "), "{err}");
    for fraction in ["-0.1", "1.5", "1e308"] {
        let json = format!(r#"{{"step":1,"epoch":0,"epochFraction":{fraction},"imagesSeen":1}}"#);
        let err = parse(&json).unwrap_err();
        assert!(err.contains("progress.epochFraction"), "{err}");
    }
    // Orders every trainer keeps: a step sees 1 to 1,024 images, a pass takes a step.
    for (json, field) in [
        (progress("10", "9"), "imagesSeen"),
        (progress("10", "10241"), "imagesSeen"),
        (
            r#"{"step":3,"epoch":4,"epochFraction":0,"imagesSeen":3}"#.to_string(),
            "epoch",
        ),
    ] {
        let err = parse(&json).unwrap_err();
        assert!(err.contains(field), "{json}: {err}");
    }
    assert!(parse(&progress("10", "10240")).is_ok());
    assert!(parse(&progress("0", "0")).is_ok());
}

#[test]
fn a_crafted_config_is_held_to_the_pages_ranges() {
    let good = small_with_metadata();
    let config = |slope: f64, likelihood: &str| {
        format!(
            r#"{{"input_size":784,"hidden_size":1,"latent_size":1,"negative_slope":{slope:?},"likelihood":{likelihood},"covariance":"Diagonal","architecture":"Mlp"}}"#
        )
    };
    let gaussian = |sigma: f64| format!(r#"{{"Gaussian":{{"sigma":{sigma:?}}}}}"#);
    let parse = |json: String| {
        Weights::parse(&common::with_metadata(&good, "config", Some(&json))).map(|w| w.config)
    };
    for slope in [0.0, 0.2, 1.0] {
        assert_eq!(
            parse(config(slope, r#""Bernoulli""#))
                .unwrap()
                .negative_slope,
            slope
        );
    }
    for slope in [1e30, -1e-9, 1.0f64.next_up(), -1.0] {
        let err = parse(config(slope, r#""Bernoulli""#)).unwrap_err();
        assert!(err.contains("LeakyReLU slope"), "{slope}: {err}");
    }
    for sigma in [VaeConfig::MIN_SIGMA, 0.1, VaeConfig::MAX_SIGMA] {
        let parsed = parse(config(0.2, &gaussian(sigma))).unwrap();
        assert_eq!(parsed.likelihood, Likelihood::Gaussian { sigma });
    }
    for sigma in [
        1e-30,
        VaeConfig::MIN_SIGMA.next_down(),
        VaeConfig::MAX_SIGMA.next_up(),
        1e300,
        0.0,
        -1.0,
    ] {
        let err = parse(config(0.2, &gaussian(sigma))).unwrap_err();
        assert!(
            err.contains("σ must be between 0.001 and 10"),
            "{sigma}: {err}"
        );
    }
}

#[test]
fn learning_rate_and_batch_size_are_optional_and_checked() {
    let good = small_with_metadata();
    let parsed = Weights::parse(&good).unwrap();
    assert_eq!(
        parsed.optimizer,
        Some(OptimizerSettings {
            learning_rate: 1e-3,
            batch_size: 128
        })
    );
    // A file from before the data setting was trained on grey levels, and says so.
    let without = common::with_metadata(&good, "data", None);
    assert_eq!(
        Weights::parse(&without).unwrap().data,
        PixelValues::GreyLevels
    );
    let unknown = common::with_metadata(&good, "data", Some(r#""sepia""#));
    assert!(
        Weights::parse(&unknown)
            .unwrap_err()
            .contains("unreadable data")
    );
    // Without the entry, loads, with the defaults.
    let without = common::with_metadata(&good, "optimizer", None);
    let parsed = Weights::parse(&without).unwrap();
    assert_eq!(parsed.optimizer, None);
    let config = TrainerConfig::for_weights(&parsed);
    assert_eq!(config, TrainerConfig::new(parsed.config.clone()));
    // With it, a run carrying on from the file trains as the file says.
    let json = r#"{"learning_rate":0.25,"batch_size":1024}"#;
    let parsed = Weights::parse(&common::with_metadata(&good, "optimizer", Some(json))).unwrap();
    let config = TrainerConfig::for_weights(&parsed);
    assert_eq!((config.learning_rate, config.batch_size), (0.25, 1024));
    for (json, needle) in [
        (r#"{"learning_rate":0,"batch_size":1}"#, "learning rate"),
        (r#"{"learning_rate":1.5,"batch_size":1}"#, "learning rate"),
        (r#"{"learning_rate":0.1,"batch_size":0}"#, "batch size"),
        (r#"{"learning_rate":0.1,"batch_size":1025}"#, "batch size"),
        (r#"{"learning_rate":0.1}"#, "optimizer"),
        (r#""fast""#, "optimizer"),
        (r#"{"learning_rate":"0.1","batch_size":5}"#, "optimizer"),
    ] {
        let err =
            Weights::parse(&common::with_metadata(&good, "optimizer", Some(json))).unwrap_err();
        assert!(err.contains(needle), "{json}: {err}");
    }
}

/// One number-holding field of the metadata: where it sits, a word a refusal of it names
/// (besides its entry's key), and whether an accepted value lies within the page's limits.
struct Field {
    key: &'static str,
    path: &'static [&'static str],
    needle: &'static str,
    within: fn(&Value) -> bool,
}

fn in_range(value: &Value, range: Range) -> bool {
    value.as_f64().is_some_and(|v| {
        let above = if range.min_exclusive {
            v > range.min
        } else {
            v >= range.min
        };
        above && v <= range.max
    })
}

fn safe_count(value: &Value) -> bool {
    value.as_u64().is_some_and(|v| v <= MAX_SAFE_INTEGER)
}

fn fields() -> Vec<Field> {
    let field = |key, path, needle, within| Field {
        key,
        path,
        needle,
        within,
    };
    vec![
        field("progress", &["step"], "step", safe_count),
        field("progress", &["epoch"], "epoch", safe_count),
        field("progress", &["imagesSeen"], "imagesSeen", safe_count),
        field("progress", &["epochFraction"], "epochFraction", |v| {
            v.as_f64().is_some_and(|v| (0.0..=1.0).contains(&v))
        }),
        field("objective", &["samples"], "samples", |v| {
            v.is_u64() && in_range(v, setting_limits().samples)
        }),
        field("objective", &["beta"], "β", |v| {
            in_range(v, setting_limits().beta)
        }),
        field("objective", &["warmup_steps"], "warm-up", |v| {
            v.is_u64() && in_range(v, setting_limits().warmup_steps)
        }),
        field("optimizer", &["learning_rate"], "learning rate", |v| {
            in_range(v, setting_limits().learning_rate)
        }),
        field("optimizer", &["batch_size"], "batch size", |v| {
            v.is_u64() && in_range(v, setting_limits().batch_size)
        }),
        field("config", &["input_size"], "pixels", |v| {
            v.as_u64() == Some(784)
        }),
        field("config", &["hidden_size"], "hidden size", |v| {
            v.as_u64()
                .is_some_and(|v| (1..=VaeConfig::MAX_HIDDEN_SIZE as u64).contains(&v))
        }),
        field("config", &["latent_size"], "latent size", |v| {
            v.is_u64() && in_range(v, setting_limits().latent_size)
        }),
        field("config", &["negative_slope"], "slope", |v| {
            v.as_f64().is_some_and(|v| {
                (VaeConfig::MIN_NEGATIVE_SLOPE..=VaeConfig::MAX_NEGATIVE_SLOPE).contains(&v)
            })
        }),
        field("config", &["likelihood", "Gaussian", "sigma"], "σ", |v| {
            in_range(v, setting_limits().sigma)
        }),
    ]
}

/// The value at `path`, making the objects on the way (a unit variant such as `"Bernoulli"`
/// becomes `{"Gaussian": {"sigma": …}}`).
fn slot<'a>(mut value: &'a mut Value, path: &[&str]) -> &'a mut Value {
    for key in path {
        if !value.is_object() {
            *value = Value::Object(Default::default());
        }
        value = value
            .as_object_mut()
            .unwrap()
            .entry(*key)
            .or_insert(Value::Null);
    }
    value
}

/// Every number field of every metadata entry, set to numbers at and beyond every limit, to
/// integers past 2⁵³ and 2⁶⁴, to what JSON cannot hold (NaN, 1e309) and to the wrong JSON
/// types: each file is either accepted holding exactly the value written, within the page's
/// limits, or refused with a reason that names the entry or the field.
#[test]
fn metadata_numbers_are_taken_exactly_or_refused_with_a_reason() {
    let good = small_with_metadata();
    let metadata = burn_pack::Reader::from_bytes(burn::tensor::Bytes::from_bytes_vec(good.clone()))
        .unwrap()
        .metadata()
        .clone();
    let base = |key: &str| serde_json::from_str::<Value>(&metadata[key]).unwrap();
    // The counts also from a progress at the limit, where the orders between them hold for
    // any count up to it.
    let at_limit = serde_json::json!({
        "step": MAX_SAFE_INTEGER, "epoch": MAX_SAFE_INTEGER,
        "epochFraction": 0.0, "imagesSeen": MAX_SAFE_INTEGER,
    });
    let mut values: Vec<String> = [
        "0",
        "1",
        "-1",
        "2",
        "16",
        "17",
        "20",
        "64",
        "65",
        "100",
        "101",
        "128",
        "784",
        "785",
        "1024",
        "1025",
        "2048",
        "2049",
        "1000000",
        "1000001",
        "9007199254740991",
        "9007199254740992",
        "9007199254740993",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "1e308",
        "-1e308",
        "1e309",
        "1.5",
        "1.0",
        "0.5",
        "-0.0",
        "5e-324",
        "1e-320",
        "0.001",
        "10",
        "\"NaN\"",
        "\"Infinity\"",
        "NaN",
        "Infinity",
        "\"1\"",
        "[]",
        "[1]",
        "{}",
        "{\"a\":1}",
        "null",
        "true",
        "",
    ]
    .map(String::from)
    .to_vec();
    // Each floating-point limit and its neighbours.
    let limits = setting_limits();
    for range in [limits.sigma, limits.beta, limits.learning_rate] {
        for bound in [range.min, range.max] {
            for v in [bound.next_down(), bound, bound.next_up()] {
                values.push(format!("{v:?}"));
            }
        }
    }
    for v in [0.0f64, 1.0] {
        values.extend([v.next_down(), v.next_up()].map(|v| format!("{v:?}")));
    }
    let mut accepted_at_limit = 0;
    for field in fields() {
        let bases = match field.key {
            "progress" => vec![base("progress"), at_limit.clone()],
            key => vec![base(key)],
        };
        let (mut accepted, mut refused) = (0, 0);
        for base in &bases {
            for text in &values {
                let mut json = base.clone();
                *slot(&mut json, field.path) = Value::String("<hole>".into());
                let json = json.to_string().replace("\"<hole>\"", text);
                let file = common::with_metadata(&good, field.key, Some(&json));
                let context = format!("{} = {json}", field.key);
                match Weights::parse(&file) {
                    Ok(weights) => {
                        let entry = match field.key {
                            "progress" => serde_json::to_value(weights.progress),
                            "objective" => serde_json::to_value(weights.objective),
                            "optimizer" => serde_json::to_value(weights.optimizer),
                            _ => serde_json::to_value(&weights.config),
                        }
                        .unwrap();
                        let got = field.path.iter().fold(&entry, |v, key| &v[*key]);
                        let written: Value = serde_json::from_str(text)
                            .unwrap_or_else(|_| panic!("{context}: not JSON, yet accepted"));
                        let exact = match (written.as_u64(), got.as_u64()) {
                            (Some(w), Some(g)) => w == g,
                            _ => written.as_f64().is_some() && written.as_f64() == got.as_f64(),
                        };
                        assert!(exact, "{context}: accepted as {got}");
                        assert!((field.within)(got), "{context}: accepted beyond the limits");
                        accepted += 1;
                        accepted_at_limit += (text == "9007199254740991") as usize;
                    }
                    Err(reason) => {
                        assert!(
                            reason.contains(field.key) || reason.contains(field.needle),
                            "{context}: `{reason}` names neither the entry nor the field"
                        );
                        refused += 1;
                    }
                }
            }
        }
        // Each field has values on both sides of its limits among those tried.
        assert!(
            accepted > 0 && refused > 0,
            "{:?}: {accepted} accepted",
            field.path
        );
    }
    // The three counts at 2⁵³ − 1, from the progress at the limit.
    assert_eq!(accepted_at_limit, 3);
}
