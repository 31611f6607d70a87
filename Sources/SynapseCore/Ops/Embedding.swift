/// Looks up one row of `weight` per token id (PyTorch `F.embedding`).
///
/// Token ids travel in an ordinary Float tensor holding whole numbers (Float32 represents
/// every integer up to 2^24 exactly, far beyond any vocabulary here), so batches of text go
/// through the same loaders and tensors as images.
///
/// Mathematically this is `onehot(ids) · weight` (`embeddingReference` computes exactly that);
/// it is fused into a row copy because the one-hot matrix is V times larger than the ids and
/// almost all zeros. Backward likewise scatter-adds each row of dy into the row of dWeight
/// its id selected: a token that appears k times receives the sum of its k gradients.
///
/// - Shape: ids [any shape S] (whole numbers in 0..<V), weight [V, C] → [S…, C].
///   ids receive no gradient.
public func embedding(ids: Tensor, weight: Tensor) -> Tensor {
    precondition(weight.rank == 2, "embedding: weight must be [vocabularySize, dimension], got \(weight.shape)")
    let V = weight.shape[0], C = weight.shape[1], N = ids.count
    let ip = ids.pointer
    for n in 0..<N {
        let id = ip[n]
        precondition(id == id.rounded() && id >= 0 && id < Float(V),
                     "embedding: id \(id) at flat position \(n) of ids \(ids.shape) is not a whole number in 0..<\(V) "
                     + "(weight \(weight.shape)); check the tokenizer's vocabulary size against the embedding's")
    }
    let y = Tensor(uninitializedShape: ids.shape + [C])   // [S…, C]
    let wp = weight.pointer, yp = y.pointer
    for n in 0..<N { (yp + n * C).update(from: wp + Int(ip[n]) * C, count: C) }
    y.gatheredRows = GatheredRows(ids: ids, table: weight)
    if isRecording(weight) {
        y.record(inputs: [weight]) { _, dy in
            weight.accumulateGrad { dW in   // dW [V, C]: row ids[n] += dy[n]
                let g = dy.pointer, ip = ids.pointer
                for n in 0..<N {
                    let dst = dW.baseAddress! + Int(ip[n]) * C, src = g + n * C
                    for c in 0..<C { dst[c] += src[c] }
                }
            }
        }
    }
    return y
}

/// The definition `onehot(ids) · weight`, built from `matmul` (so its gradient comes from
/// matmul's rule): the test oracle for `embedding`, and the slow way it avoids.
/// - Shape: ids [any shape S], weight [V, C] → [S…, C].
public func embeddingReference(ids: Tensor, weight: Tensor) -> Tensor {
    let V = weight.shape[0], C = weight.shape[1], N = ids.count
    let oneHot = Tensor.zeros([N, V])   // [N, V]: row n has a single 1 at column ids[n]
    for n in 0..<N { oneHot.pointer[n * V + Int(ids.pointer[n])] = 1 }
    return matmul(oneHot, weight).reshaped(to: ids.shape + [C])
}

/// What `embedding(ids:weight:)` looked up: `ids` (whole numbers, any shape) and the `table`
/// [V, C] whose rows it copied. Kept on the output tensor (`Tensor.gatheredRows`) so that a
/// layer whose first step is a matrix product can apply it to the V table rows, then look up
/// the result: the same sums, V/(B·T) of the work (a language model: V 113 against 2048 rows).
public struct GatheredRows {
    /// The token ids, as the embedding read them.
    public let ids: Tensor
    /// The embedding table [V, C].
    public let table: Tensor
}
