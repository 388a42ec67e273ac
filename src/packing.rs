//! Packing tensors into one flat buffer, as a backend operation of our own: what lets the
//! optimizer keep every parameter, gradient and moment of the model in one buffer each, and
//! update them all in one fused GPU kernel instead of a chain of kernels per parameter tensor.
//!
//! burn's `Tensor::cat` packs N tensors with N dispatches on a GPU (one `slice_assign` each);
//! [`PackOps`] packs up to [`PACK_INPUTS`] of them in one, written with cubecl for burn's GPU
//! backend. On the CPU it is plain slice assignments. [`Layout`] says where each tensor lies.

// burn's NdArray backend is deprecated; crate::device::cpu_device says why it is the CPU one.
#![allow(deprecated)]

use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension, tensor::FloatTensor};
use burn::prelude::*;
use burn::tensor::Slice;

/// Tensors one packing call reads. On a GPU each is a storage buffer of one dispatch, beside the
/// output: WebGPU guarantees 8 storage buffers a shader stage, and cubecl keeps one of its budget
/// (the adapter's limit less one) for itself, so 6 inputs and the output fit every adapter.
pub const PACK_INPUTS: usize = 6;

/// Where a flat buffer's segments start: at a multiple of 64 values (256 bytes), the largest
/// storage-buffer offset alignment WebGPU allows an adapter to ask for, so a segment of a packed
/// buffer is a view of it on every device (burn's GPU backend copies a slice that starts or ends
/// off the device's alignment).
pub const SEGMENT_ALIGNMENT: usize = 64;

/// What one packing call writes: the range `start..end` of the flat buffer (its inputs' values and
/// the zeros padding them to [`SEGMENT_ALIGNMENT`]), and where each input's values go. Slots past
/// `used` are not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub start: usize,
    pub end: usize,
    pub used: usize,
    pub offsets: [usize; PACK_INPUTS],
}

#[backend_extension(
    Cube: cfg(feature = "webgpu"),
    Fusion: cfg(feature = "fusion"),
    NdArray: cfg(all()),
)]
pub trait PackOps: Backend {
    /// A new flat buffer of `length` values, with the inputs of `placement` packed into its
    /// range and that range's padding zero. Values outside the range are undefined until a
    /// [`PackOps::pack_into`] writes them.
    #[fusion(dtype = a, shape = Shape::new([*length]))]
    #[allow(clippy::too_many_arguments)]
    fn pack(
        a: FloatTensor<Self>,
        b: FloatTensor<Self>,
        c: FloatTensor<Self>,
        d: FloatTensor<Self>,
        e: FloatTensor<Self>,
        f: FloatTensor<Self>,
        length: usize,
        placement: Placement,
    ) -> FloatTensor<Self> {
        let device = a.device();
        let dtype = a.dtype().into();
        // Not zeros: each packing call zeroes its own range, and together they cover it all.
        let flat = Self::float_empty(Shape::new([length]), &device, dtype);
        Self::pack_into(flat, a, b, c, d, e, f, placement)
    }

    /// `flat` with the inputs of `placement` packed into its range, and that range's padding zero
    /// (written in place when nothing else holds `flat`).
    #[fusion(dtype = flat, shape = flat)]
    #[allow(clippy::too_many_arguments)]
    fn pack_into(
        flat: FloatTensor<Self>,
        a: FloatTensor<Self>,
        b: FloatTensor<Self>,
        c: FloatTensor<Self>,
        d: FloatTensor<Self>,
        e: FloatTensor<Self>,
        f: FloatTensor<Self>,
        placement: Placement,
    ) -> FloatTensor<Self> {
        let device = flat.device();
        let dtype = flat.dtype().into();
        let mut flat = flat;
        // Each input, then zeros only over the padding after it: zeroing the whole range first
        // cost two more passes over every value (natively, packing a training step's gradients
        // took 3.4 ms that way and takes 1.8 ms this way, of a 31 ms step).
        for (slot, tensor) in [a, b, c, d, e, f]
            .into_iter()
            .take(placement.used)
            .enumerate()
        {
            let length = tensor.shape().num_elements();
            let offset = placement.offsets[slot];
            let values = Self::float_reshape(tensor, Shape::new([length]));
            flat = Self::float_slice_assign(flat, &[Slice::from(offset..offset + length)], values);
            let padding_end = if slot + 1 < placement.used {
                placement.offsets[slot + 1]
            } else {
                placement.end
            };
            if padding_end > offset + length {
                let zeros =
                    Self::float_zeros(Shape::new([padding_end - offset - length]), &device, dtype);
                flat = Self::float_slice_assign(
                    flat,
                    &[Slice::from(offset + length..padding_end)],
                    zeros,
                );
            }
        }
        flat
    }
}

impl PackOps for burn::backend::NdArray {}

/// Where each tensor of a list lies in one flat buffer: in order, each segment starting at a
/// multiple of an alignment, with zeros between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shapes: Vec<Shape>,
    offsets: Vec<usize>,
    length: usize,
}

impl Layout {
    /// Segments aligned to [`SEGMENT_ALIGNMENT`], so that each is a view of the flat buffer.
    pub fn new(shapes: Vec<Shape>) -> Self {
        Self::aligned_to(shapes, SEGMENT_ALIGNMENT)
    }

    /// Segments back to back, for reading tensors back in one readback: views of segments that
    /// start off the alignment are copies on a GPU.
    pub fn back_to_back(shapes: Vec<Shape>) -> Self {
        Self::aligned_to(shapes, 1)
    }

    fn aligned_to(shapes: Vec<Shape>, alignment: usize) -> Self {
        let mut offsets = Vec::with_capacity(shapes.len());
        let mut length = 0;
        for shape in &shapes {
            offsets.push(length);
            length += shape.num_elements().next_multiple_of(alignment);
        }
        Self {
            shapes,
            offsets,
            length,
        }
    }

    /// Values in the flat buffer, padding included.
    pub fn len(&self) -> usize {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// How many tensors it holds.
    pub fn segments(&self) -> usize {
        self.shapes.len()
    }

    /// Tensors of this layout's shapes, in its order, packed into a new flat buffer on their
    /// device: one dispatch per [`PACK_INPUTS`] tensors on a GPU. They are tensors without
    /// autodiff ([`Tensor::inner`]): packing has no backward pass.
    ///
    /// # Panics
    /// When the tensors' number or shapes differ from the layout's.
    pub fn pack(&self, tensors: Vec<FloatTensor<Dispatch>>) -> Tensor<1> {
        assert_eq!(tensors.len(), self.segments(), "tensors to pack");
        for (tensor, shape) in tensors.iter().zip(&self.shapes) {
            assert_eq!(&tensor.shape(), shape, "a packed tensor's shape");
        }
        let mut flat = None;
        let mut tensors = tensors.into_iter();
        for first in (0..self.segments()).step_by(PACK_INPUTS) {
            let group: Vec<_> = tensors.by_ref().take(PACK_INPUTS).collect();
            let used = group.len();
            let mut offsets = [0; PACK_INPUTS];
            offsets[..used].copy_from_slice(&self.offsets[first..first + used]);
            let placement = Placement {
                start: self.offsets[first],
                end: self
                    .offsets
                    .get(first + used)
                    .copied()
                    .unwrap_or(self.length),
                used,
                offsets,
            };
            // Unused slots repeat the first tensor; they are never read.
            let mut slots = group.into_iter();
            let a = slots.next().expect("a group has a tensor");
            let mut next = || slots.next().unwrap_or_else(|| a.clone());
            let [b, c, d, e, f] = std::array::from_fn(|_| next());
            flat = Some(match flat {
                None => Dispatch::pack(a, b, c, d, e, f, self.length, placement),
                Some(flat) => Dispatch::pack_into(flat, a, b, c, d, e, f, placement),
            });
        }
        Tensor::from_dispatch(flat.expect("a layout has a tensor"))
    }

    /// The `index`-th tensor of `flat`: a view of it, no copy.
    pub fn unpack<const D: usize>(&self, flat: &Tensor<1>, index: usize) -> Tensor<D> {
        let shape = self.shapes[index].clone();
        let offset = self.offsets[index];
        flat.clone()
            .slice(offset..offset + shape.num_elements())
            .reshape(shape)
    }
}

/// The packing kernel: each unit writes one value of the range `bounds[0]..bounds[1]` of the
/// output, taken from the input whose segment holds it (`bounds[2 + i]` is where input `i`
/// starts), or zero between segments. Inputs that are not contiguous are read through their
/// strides, so a transposed gradient is packed without a copy first.
#[cfg(feature = "webgpu")]
mod gpu {
    use super::{PackOps, Placement};
    use burn::backend::tensor::FloatTensor;
    use burn_cubecl::{
        CubeBackend, kernel::untile, ops::numeric::empty_device_dtype, tensor::CubeTensor,
    };
    use cubecl::{calculate_cube_count_elemwise, prelude::*};

    #[cube(launch_unchecked)]
    fn pack_kernel(
        inputs: &Sequence<OwnedTensor<f32>>,
        bounds: Sequence<usize>,
        output: &mut Tensor<f32>,
        #[comptime] contiguous: bool,
    ) {
        let start = bounds[0];
        let end = bounds[1];
        let position = start + ABSOLUTE_POS;
        if position >= end {
            terminate!();
        }
        let mut value = 0.0f32;
        #[unroll]
        for i in 0..inputs.len() {
            let input = &inputs[i];
            let offset = bounds[2 + i];
            let length = input.len();
            if position >= offset && position < offset + length {
                if contiguous {
                    value = input[position - offset];
                } else {
                    // The logical index inside the input, turned into its strided one.
                    let mut remainder = position - offset;
                    let mut index = 0;
                    let rank = input.rank();
                    for r in 0..rank {
                        let dim = rank - 1 - r;
                        let size = input.shape(dim);
                        index += (remainder % size) * input.stride(dim);
                        remainder /= size;
                    }
                    value = input[index];
                }
            }
        }
        output[position] = value;
    }

    fn launch(output: CubeTensor, inputs: Vec<CubeTensor>, placement: &Placement) -> CubeTensor {
        let client = output.client.clone();
        let mut sequence = SequenceArg::<OwnedTensor<f32>>::new();
        let mut bounds = SequenceArg::<usize>::new();
        bounds.push(placement.start);
        bounds.push(placement.end);
        let inputs: Vec<_> = inputs.into_iter().map(untile).collect();
        // Reading through strides costs two integer divisions per dimension and value, which
        // is most of this kernel's time on a CPU-based driver; gradients are mostly contiguous.
        let contiguous = inputs.iter().all(CubeTensor::is_contiguous);
        for (input, offset) in inputs.into_iter().zip(placement.offsets) {
            bounds.push(offset);
            sequence.push(input.into_tensor_arg());
        }
        let units = placement.end - placement.start;
        if units == 0 {
            return output;
        }
        let cube_dim = CubeDim::new(&client, units);
        let cube_count = calculate_cube_count_elemwise(&client, units, cube_dim);
        unsafe {
            pack_kernel::launch_unchecked(
                &client,
                cube_count,
                cube_dim,
                sequence,
                bounds,
                output.clone().into_tensor_arg(),
                contiguous,
            );
        }
        output
    }

    impl PackOps for CubeBackend {
        fn pack(
            a: FloatTensor<Self>,
            b: FloatTensor<Self>,
            c: FloatTensor<Self>,
            d: FloatTensor<Self>,
            e: FloatTensor<Self>,
            f: FloatTensor<Self>,
            length: usize,
            placement: Placement,
        ) -> FloatTensor<Self> {
            let output =
                empty_device_dtype(a.client.clone(), a.device.clone(), [length].into(), a.dtype);
            let inputs = [a, b, c, d, e, f]
                .into_iter()
                .take(placement.used)
                .collect();
            launch(output, inputs, &placement)
        }

        fn pack_into(
            flat: FloatTensor<Self>,
            a: FloatTensor<Self>,
            b: FloatTensor<Self>,
            c: FloatTensor<Self>,
            d: FloatTensor<Self>,
            e: FloatTensor<Self>,
            f: FloatTensor<Self>,
            placement: Placement,
        ) -> FloatTensor<Self> {
            let output = if flat.can_mut() { flat } else { flat.copy() };
            let inputs = [a, b, c, d, e, f]
                .into_iter()
                .take(placement.used)
                .collect();
            launch(output, inputs, &placement)
        }
    }
}
