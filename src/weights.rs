//! The weights file: one self-describing burnpack (burn's own container) holding the model
//! config as metadata beside every parameter tensor. The page moves weights between the trainer
//! (in a worker, on any backend) and the viewer (on the main thread) in this form, and exports
//! and imports it.
//!
//! Metadata keys: `format` = [`FORMAT`], `version` = [`VERSION`], `config` = the [`VaeConfig`]
//! as JSON (architecture, latent size, likelihood, posterior), and optionally `objective` = the
//! training [`Objective`] (samples, β, warm-up), `progress` = the training [`Progress`] and
//! `optimizer` = the [`OptimizerSettings`] (learning rate, batch size). Each is checked against
//! the same ranges the page's settings have, and every count against what a JavaScript number
//! holds exactly. Tensors: one per parameter, named by its module path
//! (`encoder.hidden1.weight`, …), little-endian f32, or f16 for the models shipped with the page
//! (half the bytes; loading widens them to f32).

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Transaction};
use half::f16;

use crate::model::{Vae, VaeConfig};
use crate::trainer::{Objective, OptimizerSettings, Progress};

pub const FORMAT: &str = "latent-lab/vae";
pub const VERSION: &str = "2";

/// How the tensors are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Exact: what the page exports, and what round-trips bit for bit.
    F32,
    /// Half the bytes, for the models shipped with the page.
    F16,
}

/// Reads every parameter back in one transaction (the only kind of readback WebGPU allows in a
/// browser is async) and packs them with the config and, when given, the training objective,
/// progress and optimizer settings.
pub async fn export(
    model: &Vae,
    objective: Option<&Objective>,
    progress: Option<&Progress>,
    optimizer: Option<&OptimizerSettings>,
    precision: Precision,
) -> Result<Vec<u8>, String> {
    let mut collector = Collector::default();
    model.visit(&mut collector);
    let data = collector
        .transaction
        .execute_async()
        .await
        .map_err(|e| format!("reading the weights back failed: {e:?}"))?;
    let tensors = collector
        .params
        .into_iter()
        .zip(data)
        .map(|((name, id), data)| {
            let data = match precision {
                Precision::F32 => data,
                Precision::F16 => data.convert::<f16>(),
            };
            let (bytes, shape, dtype) = data.into_parts();
            burn_pack::Tensor::new(name, dtype, shape, Some(id.val()), bytes)
        })
        .collect();
    let mut writer = burn_pack::Writer::new(tensors)
        .with_metadata("format", FORMAT)
        .with_metadata("version", VERSION)
        .with_metadata("config", &to_json(model.config())?);
    if let Some(objective) = objective {
        writer = writer.with_metadata("objective", &to_json(objective)?);
    }
    if let Some(progress) = progress {
        writer = writer.with_metadata("progress", &to_json(progress)?);
    }
    if let Some(optimizer) = optimizer {
        writer = writer.with_metadata("optimizer", &to_json(optimizer)?);
    }
    let bytes = writer
        .into_bytes()
        .map_err(|e| format!("packing the weights failed: {e}"))?;
    Ok(bytes.to_vec())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

fn optional_json<T: serde::de::DeserializeOwned>(
    json: Option<&String>,
    what: &str,
) -> Result<Option<T>, String> {
    json.map(|json| serde_json::from_str::<T>(json))
        .transpose()
        .map_err(|e| format!("weights file has an unreadable {what}: {e}"))
}

#[derive(Default)]
struct Collector {
    path: Vec<String>,
    params: Vec<(String, ParamId)>,
    transaction: Transaction,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.params.push((self.path.join("."), param.id));
        let transaction = std::mem::take(&mut self.transaction);
        // The save form is what `ModuleRecord` validates against on load.
        self.transaction = transaction.register(param.transform_for_save().val());
    }
}

/// A parsed and checked weights file, not yet placed on a device.
pub struct Weights {
    pub config: VaeConfig,
    /// How the model was being trained, when the file says.
    pub objective: Option<Objective>,
    /// How far the model had been trained, when the file says.
    pub progress: Option<Progress>,
    /// The learning rate and batch size it was being trained with, when the file says.
    pub optimizer: Option<OptimizerSettings>,
    record: ModuleRecord,
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Weights")
            .field("config", &self.config)
            .field("objective", &self.objective)
            .field("progress", &self.progress)
            .field("optimizer", &self.optimizer)
            .field("tensors", &self.record.len())
            .finish()
    }
}

impl Weights {
    /// Checks the container, the format and version, the config and the other metadata against
    /// the page's ranges, and that every tensor is finite f32 or f16. Names and shapes are checked against the model in
    /// [`Weights::into_model`].
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| format!("not a latent-lab weights file ({e})"))?;
        let metadata = reader.metadata();
        let field = |key: &str| {
            metadata
                .get(key)
                .ok_or_else(|| format!("not a latent-lab weights file (no `{key}` entry)"))
        };
        if field("format")? != FORMAT {
            return Err(format!(
                "not a latent-lab weights file (format `{}`)",
                field("format")?
            ));
        }
        if field("version")? != VERSION {
            return Err(format!(
                "weights file version {} is not supported: this build reads version {VERSION}",
                field("version")?
            ));
        }
        let config: VaeConfig = serde_json::from_str(field("config")?)
            .map_err(|e| format!("weights file has an unreadable config: {e}"))?;
        config.validate()?;
        let progress = optional_json::<Progress>(metadata.get("progress"), "progress")?;
        if let Some(progress) = &progress {
            progress.validate()?;
        }
        let objective = optional_json::<Objective>(metadata.get("objective"), "objective")?;
        if let Some(objective) = &objective {
            objective.validate()?;
        }
        let optimizer = optional_json::<OptimizerSettings>(metadata.get("optimizer"), "optimizer")?;
        if let Some(optimizer) = &optimizer {
            optimizer.validate()?;
        }
        for tensor in reader
            .into_tensors()
            .map_err(|e| format!("weights file is damaged: {e}"))?
        {
            let name = tensor.name.clone();
            let dtype = tensor.dtype;
            let bytes = tensor
                .into_bytes()
                .map_err(|e| format!("tensor `{name}` is damaged: {e}"))?;
            let finite = match dtype {
                DType::F32 => bytes
                    .chunks_exact(4)
                    .all(|b| f32::from_le_bytes(b.try_into().unwrap()).is_finite()),
                DType::F16 => bytes
                    .chunks_exact(2)
                    .all(|b| f16::from_le_bytes(b.try_into().unwrap()).is_finite()),
                other => return Err(format!("tensor `{name}` is {other:?}, expected f32 or f16")),
            };
            if !finite {
                return Err(format!("tensor `{name}` holds NaN or infinite values"));
            }
        }
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| format!("weights file is damaged: {e}"))?
            .cast_to_module_dtype();
        Ok(Self {
            config,
            objective,
            progress,
            optimizer,
            record,
        })
    }

    /// Builds the model on `device`, refusing a file whose tensors do not match the config's
    /// architecture name for name and shape for shape.
    pub fn into_model(self, device: &Device) -> Result<Vae, String> {
        self.config
            .init(device)
            .try_load_record(self.record)
            .map_err(|e| format!("weights do not fit the model they declare: {e}"))
    }
}
