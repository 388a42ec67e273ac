//! Adam over every parameter at once. The parameters live in one flat buffer, and so do both
//! moments and each step's gradients ([`crate::packing`]); the model's parameters are views of
//! that buffer. A step is then one packing of the gradients (a dispatch per
//! [`crate::packing::PACK_INPUTS`] parameter tensors on a GPU) and one elementwise update of the
//! flat buffers, which burn's fusion makes a single kernel on a GPU and a loop of our own makes
//! one pass on the CPU, where burn's own Adam runs a chain of kernels per parameter tensor. The
//! arithmetic is burn's `AdaptiveMomentum` (without AMSGrad).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::prelude::*;

use crate::model::Vae;
use crate::packing::Layout;

const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;
const EPSILON: f32 = 1e-8;

/// The optimizer's state: immutable tensors, so a clone (a snapshot to roll back to) costs
/// references, not copies.
#[derive(Clone, Debug)]
pub struct FlatAdam {
    layout: Layout,
    /// The parameters' ids in the layout's order (the order in which a module visits them).
    ids: Vec<ParamId>,
    parameters: Tensor<1>,
    moment_1: Tensor<1>,
    moment_2: Tensor<1>,
    /// Steps taken, for the bias correction of the moments.
    time: i32,
}

impl FlatAdam {
    /// An optimizer for `model`'s parameters with both moments zero, and the model with its
    /// parameters as views of the optimizer's flat buffer.
    pub fn new(model: Vae) -> (Self, Vae) {
        let mut parameters = Parameters::default();
        model.visit(&mut parameters);
        let layout = Layout::new(parameters.shapes);
        let flat = layout.pack(parameters.values);
        let zeros = flat.zeros_like();
        let adam = Self {
            layout,
            ids: parameters.ids,
            parameters: flat,
            moment_1: zeros.clone(),
            moment_2: zeros,
            time: 0,
        };
        let model = adam.view_parameters(model);
        (adam, model)
    }

    /// Takes `model`'s parameters as they are now, after a change outside [`FlatAdam::step`]
    /// (the moments are kept), and returns the model with them as views again.
    pub fn reload_parameters(&mut self, model: Vae) -> Vae {
        let mut parameters = Parameters::default();
        model.visit(&mut parameters);
        assert_eq!(parameters.ids, self.ids, "the model's parameters");
        self.parameters = self.layout.pack(parameters.values);
        self.view_parameters(model)
    }

    /// One Adam step of size `learning_rate` from `gradients` (a parameter without one counts
    /// as a zero gradient), returning `model` with the new parameters.
    pub fn step(&mut self, learning_rate: f64, model: Vae, mut gradients: GradientsParams) -> Vae {
        let mut collected = Gradients {
            gradients: &mut gradients,
            ids: Vec::new(),
            values: Vec::new(),
        };
        model.visit(&mut collected);
        assert_eq!(collected.ids, self.ids, "the model's parameters");
        let gradient = self.layout.pack(collected.values);

        self.time += 1;
        let bias_correction_2 = (1.0 - BETA_2.powi(self.time)).sqrt();
        let factor = learning_rate as f32 * bias_correction_2 / (1.0 - BETA_1.powi(self.time));
        let epsilon = EPSILON * bias_correction_2;
        // The moments are moved out of `self` (a reference to the parameters stands in): where
        // nothing else holds them (a snapshot does, for one step a chunk), the backend updates
        // them in place.
        let moment_1 = std::mem::replace(&mut self.moment_1, self.parameters.clone());
        let moment_2 = std::mem::replace(&mut self.moment_2, self.parameters.clone());
        let parameters = self.parameters.clone();
        let tensors = [parameters, moment_1, moment_2, gradient];
        let [parameters, moment_1, moment_2] = if tensors.iter().all(cpu::holds) {
            cpu::update(tensors, factor, epsilon)
        } else {
            let [parameters, moment_1, moment_2, gradient] = tensors;
            let moment_2 =
                moment_2.mul_scalar(BETA_2) + gradient.clone().square().mul_scalar(1.0 - BETA_2);
            let moment_1 = moment_1.mul_scalar(BETA_1) + gradient.mul_scalar(1.0 - BETA_1);
            let step =
                moment_1.clone().mul_scalar(factor) / moment_2.clone().sqrt().add_scalar(epsilon);
            [parameters - step, moment_1, moment_2]
        };
        self.parameters = parameters;
        self.moment_1 = moment_1;
        self.moment_2 = moment_2;
        self.view_parameters(model)
    }

    /// Σ w over every parameter (the padding between them is zero): finite while every weight
    /// is, NaN or infinite as soon as one is not. One reduction over the flat buffer.
    pub fn parameter_sum(&self) -> Tensor<1> {
        self.parameters.clone().sum()
    }

    /// `model` with each parameter a view of the flat buffer, a leaf of the next step's graph.
    fn view_parameters(&self, model: Vae) -> Vae {
        model.map(&mut Views {
            adam: self,
            index: 0,
        })
    }
}

/// The model's parameters in visiting order: their ids, shapes and values (without autodiff).
#[derive(Default)]
struct Parameters {
    ids: Vec<ParamId>,
    shapes: Vec<Shape>,
    values: Vec<burn::backend::tensor::FloatTensor<burn::backend::Dispatch>>,
}

impl ModuleVisitor for Parameters {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        self.ids.push(param.id);
        self.shapes.push(value.shape());
        self.values.push(value.into_dispatch());
    }
}

/// The gradient of each parameter in visiting order.
struct Gradients<'a> {
    gradients: &'a mut GradientsParams,
    ids: Vec<ParamId>,
    values: Vec<burn::backend::tensor::FloatTensor<burn::backend::Dispatch>>,
}

impl ModuleVisitor for Gradients<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let gradient = self
            .gradients
            .remove::<D>(param.id)
            .unwrap_or_else(|| param.val().inner().zeros_like());
        self.ids.push(param.id);
        self.values.push(gradient.into_dispatch());
    }
}

struct Views<'a> {
    adam: &'a FlatAdam,
    index: usize,
}

impl ModuleMapper for Views<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, value, mapper) = param.consume();
        debug_assert_eq!(id, self.adam.ids[self.index]);
        let view = self
            .adam
            .layout
            .unpack::<D>(&self.adam.parameters, self.index);
        self.index += 1;
        let mut leaf = Tensor::from_inner(view);
        if value.is_require_grad() {
            leaf = leaf.require_grad();
        }
        Param::from_mapped_value(id, leaf, mapper)
    }
}

/// Adam's update in one pass over the flat buffers where they live on the CPU backend. A GPU
/// fuses the update's dozen elementwise operations into one kernel; burn's CPU backend runs each
/// as a pass of its own over every parameter, 8.6 ms of a 31 ms training step of the default
/// model natively, where one pass over the four buffers reads and writes them once.
// burn's NdArray backend is deprecated; crate::device::cpu_device says why it is the CPU one.
#[allow(deprecated)]
mod cpu {
    use burn::backend::ndarray::NdArrayTensor;
    use burn::backend::{BackendTensor, DispatchTensor, DispatchTensorKind};
    use burn::prelude::*;

    use super::{BETA_1, BETA_2};

    /// `[parameters, moment_1, moment_2]` after a step from `gradient`, each parameter moved by
    /// `factor` m̂ / (√v̂ + `epsilon`) with the bias corrections folded into both.
    ///
    /// # Panics
    /// Unless [`holds`] each of the tensors.
    pub fn update(tensors: [Tensor<1>; 4], factor: f32, epsilon: f32) -> [Tensor<1>; 3] {
        let [parameters, moment_1, moment_2, gradient] = tensors.map(|t| {
            let DispatchTensor { kind, autodiff } = t.into_dispatch();
            let DispatchTensorKind::NdArray(BackendTensor::Float(NdArrayTensor::F32(storage))) =
                kind
            else {
                panic!("Adam's one-pass update takes f32 tensors on the CPU backend")
            };
            (storage.into_shared(), autodiff)
        });
        let (mut parameters, context) = parameters;
        let (mut moment_1, _) = moment_1;
        let (mut moment_2, _) = moment_2;
        let (gradient, _) = gradient;
        // Mutable slices copy a buffer something else still holds (the model's views of the
        // parameters, a snapshot's moments) and write in place where nothing does.
        {
            let gradient = gradient.as_slice().expect("a flat buffer is contiguous");
            let parameters = parameters.as_slice_mut().expect("contiguous");
            let moment_1 = moment_1.as_slice_mut().expect("contiguous");
            let moment_2 = moment_2.as_slice_mut().expect("contiguous");
            for (((w, m), v), g) in parameters
                .iter_mut()
                .zip(moment_1.iter_mut())
                .zip(moment_2.iter_mut())
                .zip(gradient)
            {
                *m = BETA_1 * *m + (1.0 - BETA_1) * g;
                *v = BETA_2 * *v + (1.0 - BETA_2) * g * g;
                *w -= factor * *m / (v.sqrt() + epsilon);
            }
        }
        let tensor = |array| {
            Tensor::from_dispatch(DispatchTensor {
                kind: DispatchTensorKind::NdArray(BackendTensor::Float(NdArrayTensor::from(array))),
                autodiff: context,
            })
        };
        [tensor(parameters), tensor(moment_1), tensor(moment_2)]
    }

    /// Whether `tensor` is a contiguous f32 tensor of the CPU backend, which [`update`] takes.
    pub fn holds(tensor: &Tensor<1>) -> bool {
        matches!(
            &tensor.clone().into_dispatch().kind,
            DispatchTensorKind::NdArray(BackendTensor::Float(NdArrayTensor::F32(storage)))
                if storage.view().is_standard_layout()
        )
    }
}
