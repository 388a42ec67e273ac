//! The tensors of one training step, layer by layer: what the memory estimate of a run sums.

use crate::model::{Architecture, CONV_CHANNELS, Covariance, Likelihood, SIDE, VaeConfig};

/// Which rows a tensor has one of: one per image of the batch (the encoder), or one per sample
/// of z, samples × batch of them (the decoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    Image,
    Sample,
}

/// The tensors of a training step in the order the forward pass makes them, as f32 values per
/// row: those burn's autodiff keeps for the backward pass (alive until the backward pass has
/// gone back past them), and the transient ones a layer holds for a moment beside everything
/// kept so far (the padded image of a convolution and its products, the likelihood's gradients
/// at the start of the backward pass). Going backwards frees the kept tensors in the reverse
/// order, so the step's peak is the largest "kept so far + one layer's transients".
#[derive(Default)]
pub(super) struct Step {
    tensors: Vec<Tensors>,
}

/// Some tensors of the same rows, made together.
struct Tensors {
    rows: Rows,
    /// Values per row, all of them together.
    values: u64,
    /// Values per row of the largest of them.
    largest: u64,
    kept: bool,
}

impl Step {
    /// `count` kept tensors of `values` per row each.
    fn kept(&mut self, rows: Rows, count: u64, values: u64) {
        self.tensors.push(Tensors {
            rows,
            values: count.saturating_mul(values),
            largest: values,
            kept: true,
        });
    }

    /// Transient tensors of these sizes per row, alive together.
    fn transient(&mut self, rows: Rows, values: &[u64]) {
        self.tensors.push(Tensors {
            rows,
            values: values.iter().fold(0, |sum, v| sum.saturating_add(*v)),
            largest: values.iter().copied().max().unwrap_or(0),
            kept: false,
        });
    }

    /// A [`crate::conv::PatchConv2d`] with padding 1 on a square channels-last image: the block
    /// each kernel offset reads is copied and kept (its product with the weights needs it back),
    /// while the padded image, one product and the running sum come and go.
    fn conv(&mut self, rows: Rows, side: u64, from: u64, to: u64, kernel: u64, stride: u64) {
        let padded = (side + 2).div_ceil(stride) * stride;
        let out = (side + 2 - kernel) / stride + 1;
        self.transient(
            rows,
            &[padded * padded * from, out * out * to, out * out * to],
        );
        self.kept(rows, kernel * kernel, out * out * from);
    }

    pub(super) fn of(model: &VaeConfig) -> Self {
        use Rows::{Image, Sample};
        let hidden = model.hidden_size as u64;
        let latent = model.latent_size as u64;
        let pixels = model.input_size as u64;
        let side = SIDE as u64;
        let [c1, c2] = CONV_CHANNELS.map(|c| c as u64);
        let features = c2 * (side / 4) * (side / 4);
        let mut s = Self::default();
        // The batch, also the likelihood's target.
        s.kept(Image, 1, pixels);
        match model.architecture {
            // Each dense layer keeps its input, each LeakyReLU its own.
            Architecture::Mlp => s.kept(Image, 4, hidden),
            Architecture::Conv => {
                s.conv(Image, side, 1, c1, 4, 2);
                s.kept(Image, 1, (side / 2) * (side / 2) * c1);
                s.conv(Image, side / 2, c1, c2, 4, 2);
                s.kept(Image, 2, features);
                s.kept(Image, 2, hidden);
            }
        }
        // μ, log σ² and σ, and the KL's terms.
        s.kept(Image, 4, latent);
        if model.covariance == Covariance::Full {
            let square = latent.saturating_mul(latent);
            // The head's output, then its lower triangle and L kept for the KL and for L ε.
            s.transient(Image, &[square]);
            s.kept(Image, 2, square);
            // L repeated for each sample is multiplied by ε, which needs no gradient: only ε is
            // kept, and the repeat (and its gradient, on the way back) comes and goes.
            s.transient(Sample, &[square, latent]);
        }
        // ε, σ repeated, and z.
        s.kept(Sample, 3, latent);
        match model.architecture {
            Architecture::Mlp => s.kept(Sample, 4, hidden),
            Architecture::Conv => {
                s.kept(Sample, 2, hidden);
                s.kept(Sample, 1, features);
                s.conv(Sample, side / 4, c2, 4 * c1, 3, 1);
                // The pixel shuffle's copy, then LeakyReLU's input.
                let shuffled = (side / 2) * (side / 2) * c1;
                s.transient(Sample, &[shuffled]);
                s.kept(Sample, 1, shuffled);
                s.conv(Sample, side / 2, c1, 4, 3, 1);
            }
        }
        // The likelihood keeps the logits (or their sigmoid), the repeated targets and one more
        // term; its gradients at the start of the backward pass are what the measured peaks
        // need beyond that: 2.65k values per sample for a Bernoulli and 0.89k for a Gaussian
        // in the MLP (3.4 and 1.1 images' worth), rounded up.
        s.kept(Sample, 3, pixels);
        let gradients = match model.likelihood {
            Likelihood::Bernoulli => [pixels, pixels, pixels, pixels / 2],
            // Its log-normaliser's two branches and their masks on top of the cross-entropy.
            Likelihood::ContinuousBernoulli => [2 * pixels, 2 * pixels, pixels, pixels / 2],
            Likelihood::Gaussian { .. } | Likelihood::GaussianLearned => [pixels, pixels / 4, 0, 0],
        };
        s.transient(Sample, &gradients);
        s
    }

    /// The peak of live values and the largest single tensor, for `batch` images with `samples`
    /// draws of z each.
    pub(super) fn peak(&self, batch: u64, samples: u64) -> (u64, u64) {
        let (mut kept, mut peak, mut largest) = (0u64, 0u64, 0u64);
        for tensors in &self.tensors {
            let rows = match tensors.rows {
                Rows::Image => batch,
                Rows::Sample => batch.saturating_mul(samples),
            };
            let values = tensors.values.saturating_mul(rows);
            largest = largest.max(tensors.largest.saturating_mul(rows));
            if tensors.kept {
                kept = kept.saturating_add(values);
                peak = peak.max(kept);
            } else {
                peak = peak.max(kept.saturating_add(values));
            }
        }
        (peak, largest)
    }
}
