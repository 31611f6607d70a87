/// Takes a fully connected layer's weight gradient as its two factors instead of their product.
///
/// The weight gradient of `y = x · Wᵀ + b` over a batch of N rows is a sum of N outer products,
/// `dW = dyᵀ · x` (dy [N, out], x [N, in]): a matrix of rank at most N. When N·(in + out) is
/// smaller than in·out, the factors hold the same information in fewer numbers, which matters
/// when the gradient must cross a network: data-parallel ranks can exchange every rank's x and
/// dy (an all-gather) and each form the whole batch's dW with one matrix product per rank,
/// instead of summing the full in·out matrices (an all-reduce). This is "sufficient factor
/// broadcasting" (Xie et al., 2016); `FactoredLinearGradient` in SynapseTrain does it.
///
/// `linear(_:weight:bias:factors:)` hands its backward's (x, dy) to the sink instead of adding
/// `dyᵀ · x` into the weight's gradient; the input and bias gradients are computed as usual.
/// The sink then owes the weight's gradient: it must end up in `weight.grad` before anything
/// reads it.
public protocol WeightGradientFactors: AnyObject {
    /// `dyᵀ · x` is to be added to the weight's gradient: keep the factors instead.
    /// - Shape: x [N, in], dy [N, out]. Both are only valid during the call (copy them).
    func append(input x: Tensor, outputGradient dy: Tensor)
}
