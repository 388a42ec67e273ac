//! The weights file: one self-describing burnpack (burn's own container) holding the model
//! config as metadata beside every parameter tensor. The page moves weights between the trainer
//! (in a worker, on any backend) and the viewer (on the main thread) in this form, and exports
//! and imports it.
//!
//! Metadata keys: `format` = [`FORMAT`], `version` = [`VERSION`], `config` = the [`VaeConfig`]
//! as JSON (architecture, latent size, likelihood, posterior), and, for a model being trained,
//! `data` = the [`PixelValues`] it is trained on (`"binarised"` or `"grey-levels"`; a file
//! without it predates the setting and was trained on grey levels), `objective` = the training
//! [`Objective`] (samples, β, warm-up), `progress` = the training [`Progress`] and `optimizer` =
//! the [`OptimizerSettings`] (learning rate, batch size), and `dataset` = the [`DataIdentity`] of
//! the data it was trained on (its name, image count and hash; a file without it was trained on
//! the shipped digits, the only data before a person could bring their own). Each is checked against
//! the same ranges the page's settings have, and every count against what a JavaScript number
//! holds exactly. Tensors: one per parameter, named by its module path
//! (`encoder.hidden1.weight`, …), little-endian f32, or f16 for the models shipped with the page
//! (half the bytes; loading widens them to f32).

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType};
use half::f16;

use crate::data::{DataIdentity, PixelValues};
use crate::device::read_concatenated;
use crate::model::{Vae, VaeConfig};
use crate::objective::Objective;
use crate::optimizer_settings::OptimizerSettings;
use crate::progress::Progress;

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

/// How a model is being trained: what a weights file records beside the model so that a reload
/// or an import trains on as it was.
#[derive(Debug, Clone, Copy)]
pub struct Training<'a> {
    pub data: PixelValues,
    pub objective: &'a Objective,
    pub progress: &'a Progress,
    pub optimizer: &'a OptimizerSettings,
    pub dataset: &'a DataIdentity,
}

/// Reads every parameter back in one readback (a weight sync took 14 when each was read as
/// its own) and packs them with the config and, when given, how the model is being trained.
pub async fn export(
    model: &Vae,
    training: Option<Training<'_>>,
    precision: Precision,
) -> Result<Vec<u8>, String> {
    let mut collector = Collector::default();
    model.visit(&mut collector);
    let values = read_concatenated(collector.flat, "the weights").await?;
    let mut offset = 0;
    let mut tensors = Vec::with_capacity(collector.params.len());
    for (name, id, shape) in collector.params {
        let count: usize = shape.iter().product();
        let values = values
            .get(offset..offset + count)
            .ok_or("the device returned fewer weights than the model has")?;
        offset += count;
        let data = TensorData::new(values.to_vec(), shape);
        let data = match precision {
            Precision::F32 => data,
            Precision::F16 => data.convert::<f16>(),
        };
        let (bytes, shape, dtype) = data.into_parts();
        tensors.push(burn_pack::Tensor::new(
            name,
            dtype,
            shape,
            Some(id.val()),
            bytes,
        ));
    }
    let mut writer = burn_pack::Writer::new(tensors)
        .with_metadata("format", FORMAT)
        .with_metadata("version", VERSION)
        .with_metadata("config", &to_json(model.config())?);
    if let Some(training) = training {
        writer = writer
            .with_metadata("data", &to_json(&training.data)?)
            .with_metadata("objective", &to_json(training.objective)?)
            .with_metadata("progress", &to_json(training.progress)?)
            .with_metadata("optimizer", &to_json(training.optimizer)?)
            .with_metadata("dataset", &to_json(training.dataset)?);
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

/// Every parameter's name, id and shape, and its values flattened, in visiting order.
#[derive(Default)]
struct Collector {
    path: Vec<String>,
    params: Vec<(String, ParamId, Vec<usize>)>,
    flat: Vec<Tensor<1>>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        // The save form is what `ModuleRecord` validates against on load.
        let tensor = param.transform_for_save().val();
        let shape = tensor.dims().to_vec();
        self.flat
            .push(tensor.reshape([shape.iter().product::<usize>()]));
        self.params.push((self.path.join("."), param.id, shape));
    }
}

/// A parsed and checked weights file, not yet placed on a device.
pub struct Weights {
    pub config: VaeConfig,
    /// What the model was trained on: the file's `data`, or grey levels for a file from before
    /// the setting.
    pub data: PixelValues,
    /// How the model was being trained, when the file says.
    pub objective: Option<Objective>,
    /// How far the model had been trained, when the file says.
    pub progress: Option<Progress>,
    /// The learning rate and batch size it was being trained with, when the file says.
    pub optimizer: Option<OptimizerSettings>,
    /// The data it was trained on; `None` for the shipped digits (files written before the
    /// record existed, and the shipped models).
    pub trained_on: Option<DataIdentity>,
    record: ModuleRecord,
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Weights")
            .field("config", &self.config)
            .field("data", &self.data)
            .field("objective", &self.objective)
            .field("progress", &self.progress)
            .field("optimizer", &self.optimizer)
            .field("trained_on", &self.trained_on)
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
        let data = optional_json::<PixelValues>(metadata.get("data"), "data")?
            .unwrap_or(PixelValues::BEFORE_THE_SETTING);
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
        let trained_on = optional_json::<DataIdentity>(metadata.get("dataset"), "dataset")?;
        if let Some(identity) = &trained_on {
            identity.validate()?;
        }
        // Every tensor is checked, and f16 ones widened to f32 here, so that the record loads
        // with its own dtype. A record cast to the module's dtype on load first materialises
        // the module's random initialisation just to read that dtype: that was 90 of the 100 ms
        // a viewer of the largest model (conv, latent 64, full covariance, 12 MB) took to load
        // in wasm; it now takes 10.
        let tensors = reader
            .into_tensors()
            .map_err(|e| format!("weights file is damaged: {e}"))?
            .into_iter()
            .map(f32_tensor)
            .collect::<Result<Vec<_>, _>>()?;
        let packed = burn_pack::Writer::new(tensors)
            .into_bytes()
            .map_err(|e| format!("weights file is damaged: {e}"))?;
        let record = ModuleRecord::from_bytes(packed)
            .map_err(|e| format!("weights file is damaged: {e}"))?;
        Ok(Self {
            config,
            data,
            objective,
            progress,
            optimizer,
            trained_on,
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

/// The tensor as finite little-endian f32, or why it cannot be.
fn f32_tensor(tensor: burn_pack::Tensor) -> Result<burn_pack::Tensor, String> {
    let (name, dtype, shape, id, bytes) = tensor
        .into_parts()
        .map_err(|e| format!("weights file is damaged: {e}"))?;
    let bytes = match dtype {
        DType::F32 => bytes,
        DType::F16 => Bytes::from_elems(
            bytes
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect::<Vec<f32>>(),
        ),
        other => return Err(format!("tensor `{name}` is {other:?}, expected f32 or f16")),
    };
    let finite = bytes
        .chunks_exact(4)
        .all(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite());
    if !finite {
        return Err(format!("tensor `{name}` holds NaN or infinite values"));
    }
    Ok(burn_pack::Tensor::new(name, DType::F32, shape, id, bytes))
}
