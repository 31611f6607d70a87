/// Adds a position's vector to every sequence's token vector at that position: the
/// "embeddings + positional encoding" step of a Transformer.
///
/// `y[b, t, :] = x[b, t, :] + table[offset + t, :]`. A broadcast add written as one op because
/// the table is shared by the B sequences: its gradient is the sum over the batch of the
/// output gradient (`dtable[offset + t] += Σ_b dy[b, t]`), one pass, no [B, T, C] copy of the
/// table. `offset` lets generation with a key/value cache place new tokens after the cached
/// ones.
///
/// - Shape: x [B, T, C], table [maxLength, C] with offset + T ≤ maxLength → y [B, T, C].
public func addingPositions(_ x: Tensor, table: Tensor, offset: Int = 0) -> Tensor {
    precondition(x.rank == 3 && table.rank == 2 && table.shape[1] == x.shape[2],
                 "addingPositions: input \(x.shape) and position table \(table.shape) must be [B, T, C] and [maxLength, C]")
    let B = x.shape[0], T = x.shape[1], C = x.shape[2]
    precondition(offset >= 0 && offset + T <= table.shape[0],
                 "addingPositions: positions \(offset)..<\(offset + T) exceed the table's \(table.shape[0]) (the model's context)")
    let y = Tensor(uninitializedShape: x.shape)   // [B, T, C]
    let xp = x.pointer, yp = y.pointer, tp = table.pointer + offset * C
    for b in 0..<B {
        for i in 0..<(T * C) { yp[b * T * C + i] = xp[b * T * C + i] + tp[i] }
    }
    if isRecording(x, table) {
        y.record(inputs: [x, table]) { _, dy in
            let g = dy.pointer
            x.storeOrAccumulateGrad { dx, fresh in   // dx [B, T, C] = dy
                if fresh { dx.baseAddress!.update(from: g, count: dx.count) } else { for i in 0..<dx.count { dx[i] += g[i] } }
            }
            table.accumulateGrad { dt in             // dtable [offset..<offset+T, C] += Σ_b dy[b]
                let d = dt.baseAddress! + offset * C
                for b in 0..<B {
                    for i in 0..<(T * C) { d[i] += g[b * T * C + i] }
                }
            }
        }
    }
    return y
}
