//! The weights file: one self-describing burnpack (burn's own container) holding the model
//! config as metadata beside every parameter tensor. The page moves weights between the trainer
//! (in a worker, on any backend) and the viewer (on the main thread) in this form, and exports
//! and imports it.
//!
//! Metadata keys: `format` = [`FORMAT`], `version` = [`VERSION`], `config` = the [`VaeConfig`]
//! as JSON. Tensors: one per parameter, named by its module path (`encoder.hidden1.weight`, …),
//! f32, little-endian.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Transaction};

use crate::model::{Vae, VaeConfig};

pub const FORMAT: &str = "latent-lab/vae";
pub const VERSION: &str = "1";

/// Reads every parameter back in one transaction (the only kind of readback WebGPU allows in a
/// browser is async) and packs them with the config.
pub async fn export(model: &Vae, config: &VaeConfig) -> Result<Vec<u8>, String> {
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
            let (bytes, shape, dtype) = data.into_parts();
            burn_pack::Tensor::new(name, dtype, shape, Some(id.val()), bytes)
        })
        .collect();
    let config_json = serde_json::to_string(config).map_err(|e| e.to_string())?;
    let bytes = burn_pack::Writer::new(tensors)
        .with_metadata("format", FORMAT)
        .with_metadata("version", VERSION)
        .with_metadata("config", &config_json)
        .into_bytes()
        .map_err(|e| format!("packing the weights failed: {e}"))?;
    Ok(bytes.to_vec())
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
    record: ModuleRecord,
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Weights")
            .field("config", &self.config)
            .field("tensors", &self.record.len())
            .finish()
    }
}

impl Weights {
    /// Checks the container, the format and version, the config, and that every tensor is
    /// finite f32. Names and shapes are checked against the model in [`Weights::into_model`].
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| format!("not a weights file: {e}"))?;
        let metadata = reader.metadata();
        let field = |key: &str| {
            metadata
                .get(key)
                .ok_or_else(|| format!("weights file has no `{key}` entry"))
        };
        if field("format")? != FORMAT {
            return Err(format!(
                "weights file is of format `{}`, not `{FORMAT}`",
                field("format")?
            ));
        }
        if field("version")? != VERSION {
            return Err(format!(
                "weights file version {} is not supported (this build reads version {VERSION})",
                field("version")?
            ));
        }
        let config: VaeConfig = serde_json::from_str(field("config")?)
            .map_err(|e| format!("weights file has an unreadable config: {e}"))?;
        config.validate()?;
        for tensor in reader
            .into_tensors()
            .map_err(|e| format!("weights file is damaged: {e}"))?
        {
            let name = tensor.name.clone();
            if tensor.dtype != DType::F32 {
                return Err(format!("tensor `{name}` is {:?}, expected f32", tensor.dtype));
            }
            let bytes = tensor
                .into_bytes()
                .map_err(|e| format!("tensor `{name}` is damaged: {e}"))?;
            let finite = bytes
                .chunks_exact(4)
                .all(|b| f32::from_le_bytes(b.try_into().unwrap()).is_finite());
            if !finite {
                return Err(format!("tensor `{name}` holds NaN or infinite values"));
            }
        }
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| format!("weights file is damaged: {e}"))?;
        Ok(Self { config, record })
    }

    /// Builds the model on `device`, refusing a file whose tensors do not match the config's
    /// architecture name for name and shape for shape.
    pub fn into_model(self, device: &Device) -> Result<Vae, String> {
        self.config
            .init(device)
            .try_load_record(self.record)
            .map_err(|e| format!("weights do not fit the model: {e}"))
    }
}
