//! [`Viewer`]: inference on the main thread, on the CPU. Decode, encode and reconstruct answer
//! at once, so the sliders and the drawing pad never wait for a training step.

use burn::prelude::*;
use wasm_bindgen::JsValue;
#[cfg(target_family = "wasm")]
use wasm_bindgen::prelude::*;

use super::{WebError, set_property};
use crate::data::DataIdentity;
use crate::device;
use crate::model::Vae;
use crate::weights::Weights;

#[cfg_attr(target_family = "wasm", wasm_bindgen)]
pub struct Viewer {
    model: Vae,
    device: Device,
    trained_on: Option<DataIdentity>,
}

/// An image's posterior mean μ and the decoding of μ.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconstruction {
    pub mean: Vec<f32>,
    pub pixels: Vec<f32>,
}

impl Viewer {
    /// The data the model was trained on; `None` for the shipped digits.
    pub fn trained_on(&self) -> Option<&DataIdentity> {
        self.trained_on.as_ref()
    }

    /// The posterior mean μ of a 784-pixel image (grey levels in `[0, 1]`) and its decoding, in
    /// one call so the drawing pad moves the sliders and shows the reconstruction from one pass.
    pub fn reconstruct(&self, pixels: &[f32]) -> Result<Reconstruction, WebError> {
        let input = self.model.config().input_size;
        if pixels.len() != input {
            return Err(format!("image has {} values, expected {input}", pixels.len()).into());
        }
        if pixels.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err("image grey levels must lie in [0, 1]".into());
        }
        let (mean, decoded) = self.model.reconstruct(self.rows(pixels, input));
        Ok(Reconstruction {
            mean: read(mean)?,
            pixels: read(decoded)?,
        })
    }

    fn rows(&self, values: &[f32], width: usize) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len() / width, width]),
            &self.device,
        )
    }
}

#[cfg_attr(target_family = "wasm", wasm_bindgen)]
impl Viewer {
    /// A viewer of the model in a weights file; a new model means a new viewer, so a bad file
    /// never touches the one on screen.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(constructor))]
    pub fn new(weights: &[u8]) -> Result<Viewer, WebError> {
        let device = device::cpu_device();
        let weights = Weights::parse(weights)?;
        let trained_on = weights.trained_on.clone();
        let model = weights.into_model(&device)?;
        Ok(Self {
            model,
            device,
            trained_on,
        })
    }

    /// `{ name, images, hash }` of the data the model was trained on, or null for the shipped
    /// digits (a file without the record).
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = trainedOn))]
    pub fn trained_on_for_js(&self) -> Result<JsValue, WebError> {
        match &self.trained_on {
            Some(identity) => super::to_js(identity),
            None => Ok(JsValue::NULL),
        }
    }

    #[cfg_attr(target_family = "wasm", wasm_bindgen(getter, js_name = latentSize))]
    pub fn latent_size(&self) -> usize {
        self.model.latent_size()
    }

    /// Decoded means (784 values in `[0, 1]` each, row-major) of `n` latent points given as one
    /// flat array of `n × latent` values: one digit for the sliders, a grid or a strip at once.
    pub fn decode(&self, z: &[f32]) -> Result<Vec<f32>, WebError> {
        let latent = self.model.latent_size();
        if z.is_empty() || !z.len().is_multiple_of(latent) {
            let values = z.len();
            return Err(
                format!("latent points have {values} values, not a multiple of {latent}").into(),
            );
        }
        if z.iter().any(|v| !v.is_finite()) {
            return Err("latent points must be finite".into());
        }
        read(self.model.decode_mean(self.rows(z, latent)))
    }

    /// [`Viewer::reconstruct`] for JS: `{ mean, pixels }`, two Float32Arrays.
    #[cfg_attr(target_family = "wasm", wasm_bindgen(js_name = reconstruct))]
    pub fn reconstruct_for_js(&self, pixels: &[f32]) -> Result<JsValue, WebError> {
        let Reconstruction { mean, pixels } = self.reconstruct(pixels)?;
        let object: JsValue = js_sys::Object::new().into();
        set_property(
            &object,
            "mean",
            js_sys::Float32Array::from(mean.as_slice()).into(),
        )?;
        set_property(
            &object,
            "pixels",
            js_sys::Float32Array::from(pixels.as_slice()).into(),
        )?;
        Ok(object)
    }
}

/// Reads a CPU tensor synchronously: fine on the CPU backend, where the data is already there.
fn read(tensor: Tensor<2>) -> Result<Vec<f32>, WebError> {
    let data = tensor
        .try_into_data()
        .map_err(|e| format!("reading the result failed: {e:?}"))?;
    Ok(data
        .try_into_vec::<f32>()
        .map_err(|e| format!("unexpected result type: {e:?}"))?)
}
