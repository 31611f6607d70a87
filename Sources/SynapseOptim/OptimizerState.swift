import SynapseCore

/// One parameter's slice of one state buffer, named for a checkpoint:
/// `"<parameter name>.<state name>"`, e.g. `fc1.weight.exp_avg`.
///
/// The pointer is valid while the optimizer is alive; writing through it changes the state.
public struct OptimizerStateTensor {
    /// `"<parameter name>.<state name>"`.
    public let name: String
    /// The parameter's shape.
    public let shape: [Int]
    /// First element of this parameter's state, inside the optimizer's buffer.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of elements (product of `shape`).
    public var count: Int { shape.reduce(1, *) }
}

extension Optimizer {
    /// Every piece of per-parameter state as a named tensor, parameter by parameter in arena
    /// order, and within a parameter in `stateBuffers` order. Frozen parameters are listed
    /// too, so the saved layout does not depend on what is frozen at save time.
    ///
    /// A checkpoint writes these tensors plus `stepCount`; `loadState(stepCount:tensors:)`
    /// reads them back.
    public var stateTensors: [OptimizerStateTensor] {
        let buffers = stateBuffers
        var out: [OptimizerStateTensor] = []
        out.reserveCapacity(arena.entries.count * buffers.count)
        for entry in arena.entries {
            for buffer in buffers {
                out.append(OptimizerStateTensor(name: "\(entry.name).\(buffer.name)", shape: entry.shape,
                                                pointer: buffer.pointer(at: entry.offset)))
            }
        }
        return out
    }

    /// Restores the state saved from `stateTensors` and `stepCount`, so that the next `step()`
    /// produces bit for bit what the saved optimizer's next step would have produced.
    ///
    /// The contract for a resumed run: build the optimizer with the same settings over an
    /// arena with the same layout, load the parameter values into the arena, then call this
    /// with every tensor `stateTensors` names (and nothing else). Everything is checked before
    /// anything is written, so on error the optimizer is unchanged.
    ///
    /// - Parameters:
    ///   - stepCount: the saved `stepCount`.
    ///   - tensors: saved state by name (`fc1.weight.exp_avg` → tensor of fc1.weight's shape).
    /// - Throws: `OptimizerStateError` naming the missing, extra or misshapen tensor.
    public func loadState(stepCount: Int, tensors: [String: Tensor]) throws {
        let name = optimizerName(self)
        guard stepCount >= 0 else { throw OptimizerStateError.invalidStepCount(stepCount, optimizer: name) }
        let expected = stateTensors
        for slot in expected {
            guard let saved = tensors[slot.name] else {
                throw OptimizerStateError.missingTensor(slot.name, optimizer: name)
            }
            guard saved.shape == slot.shape else {
                throw OptimizerStateError.shapeMismatch(slot.name, expected: slot.shape, found: saved.shape)
            }
        }
        let expectedNames = Set(expected.map(\.name))
        let extra = tensors.keys.filter { !expectedNames.contains($0) }.sorted()
        guard extra.isEmpty else { throw OptimizerStateError.unexpectedTensors(extra, optimizer: name) }

        for slot in expected {
            slot.pointer.update(from: tensors[slot.name]!.pointer, count: slot.count)
        }
        self.stepCount = stepCount
    }
}

/// Why saved optimizer state could not be loaded.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    /// A state tensor the optimizer needs is not in the saved state.
    case missingTensor(String, optimizer: String)
    /// A saved tensor's shape differs from its parameter's shape.
    case shapeMismatch(String, expected: [Int], found: [Int])
    /// The saved state holds tensors this optimizer does not have.
    case unexpectedTensors([String], optimizer: String)
    /// The saved step count is negative.
    case invalidStepCount(Int, optimizer: String)

    /// What is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .missingTensor(name, optimizer):
            return "optimizer state: '\(name)' is missing from the saved state, but \(optimizer) needs it. "
                + "The checkpoint was probably written by a different optimizer or optimizer settings "
                + "(e.g. momentum 0 vs > 0); resume with the same optimizer settings."
        case let .shapeMismatch(name, expected, found):
            return "optimizer state: '\(name)' has shape \(found) in the saved state but the parameter has shape "
                + "\(expected). The checkpoint was written for a different model; resume with the same model."
        case let .unexpectedTensors(names, optimizer):
            let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")
            return "optimizer state: \(names.count) saved tensor(s) are unknown to \(optimizer): \(shown). "
                + "The checkpoint was written by a different optimizer or model; resume with the same settings."
        case let .invalidStepCount(count, optimizer):
            return "optimizer state: step count \(count) for \(optimizer) is negative; the saved state is corrupt."
        }
    }
}
