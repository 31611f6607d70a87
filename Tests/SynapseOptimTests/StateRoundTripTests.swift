import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

/// Saving and restoring optimizer state: 2 steps, save, fresh optimizer, restore, 1 step must
/// give bit for bit the result of 3 uninterrupted steps.
@Suite struct StateRoundTripTests {
    static let optimizers: [String] = ["SGD", "SGD nesterov", "Adam", "AdamW", "RMSprop", "Adagrad"]

    /// Each optimizer with every option that carries state switched on.
    func make(_ name: String, _ arena: ParameterArena) throws -> any Optimizer {
        switch name {
        case "SGD": return try SGD(arena: arena, learningRate: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.1)
        case "SGD nesterov": return try SGD(arena: arena, learningRate: 0.05, momentum: 0.9, nesterov: true)
        case "Adam": return try Adam(arena: arena, learningRate: 0.05, weightDecay: 0.1)
        case "AdamW": return try AdamW(arena: arena, learningRate: 0.05)
        case "RMSprop": return try RMSprop(arena: arena, learningRate: 0.01, weightDecay: 0.1, momentum: 0.9, centered: true)
        default: return try Adagrad(arena: arena, learningRate: 0.1, lrDecay: 0.3, initialAccumulatorValue: 0.1)
        }
    }

    /// Two parameters so that names and offsets matter.
    func makeModelArena() -> ParameterArena { makeArena([("fc.weight", [1, -2]), ("fc.bias", [0.5])]) }

    @Test(arguments: optimizers)
    func resumedRunIsBitIdentical(_ name: String) throws {
        let uninterrupted = makeModelArena()
        let reference = try make(name, uninterrupted)
        run(reference, steps: 3, gradient: quadraticGradient)

        let first = makeModelArena()
        let before = try make(name, first)
        run(before, steps: 2, gradient: quadraticGradient)
        // What a checkpoint holds: parameter values, state tensors by name, step count.
        let savedValues = values(first)
        var savedState: [String: Tensor] = [:]
        for slot in before.stateTensors {
            savedState[slot.name] = Tensor(shape: slot.shape, values: Array(UnsafeBufferPointer(start: slot.pointer, count: slot.count)))
        }

        let resumed = makeArena([("fc.weight", Array(savedValues[0..<2])), ("fc.bias", [savedValues[2]])])
        let after = try make(name, resumed)
        try after.loadState(stepCount: before.stepCount, tensors: savedState)
        #expect(after.stepCount == 2)
        run(after, steps: 1, from: 2, gradient: quadraticGradient)

        #expect(values(resumed) == values(uninterrupted), "\(name): resumed run differs")
        for (x, y) in zip(after.stateBuffers, reference.stateBuffers) {
            #expect(Array(x.values) == Array(y.values), "\(name): \(x.name) differs")
        }
    }

    @Test func stateTensorsAreNamedByParameter() throws {
        let arena = makeArena([("fc.weight", [1, 2, 3, 4]), ("fc.bias", [5, 6])])
        let adam = try Adam(arena: arena)
        let slots = adam.stateTensors
        #expect(slots.map(\.name) == ["fc.weight.exp_avg", "fc.weight.exp_avg_sq", "fc.bias.exp_avg", "fc.bias.exp_avg_sq"])
        #expect(slots.map(\.shape) == [[4], [4], [2], [2]])
        #expect(slots[2].pointer == adam.stateBuffers[0].values.baseAddress! + 4)
        #expect(slots[3].pointer == adam.stateBuffers[1].values.baseAddress! + 4)
        #expect(try SGD(arena: arena, learningRate: 0.1).stateTensors.isEmpty)
    }

    @Test func mismatchedStateIsRejectedAndLeavesTheOptimizerUnchanged() throws {
        let arena = makeArena([("w", [1, 2])])
        let sgd = try SGD(arena: arena, learningRate: 0.1, momentum: 0.9)
        let good = Tensor(shape: [2], values: [7, 8])

        #expect(throws: OptimizerStateError.missingTensor("w.momentum_buffer", optimizer: "SGD")) {
            try sgd.loadState(stepCount: 1, tensors: [:])
        }
        #expect(throws: OptimizerStateError.shapeMismatch("w.momentum_buffer", expected: [2], found: [3])) {
            try sgd.loadState(stepCount: 1, tensors: ["w.momentum_buffer": Tensor(shape: [3], values: [1, 2, 3])])
        }
        #expect(throws: OptimizerStateError.unexpectedTensors(["w.exp_avg"], optimizer: "SGD")) {
            try sgd.loadState(stepCount: 1, tensors: ["w.momentum_buffer": good, "w.exp_avg": good])
        }
        #expect(throws: OptimizerStateError.invalidStepCount(-1, optimizer: "SGD")) {
            try sgd.loadState(stepCount: -1, tensors: ["w.momentum_buffer": good])
        }
        #expect(Array(sgd.stateBuffers[0].values) == [0, 0])
        #expect(sgd.stepCount == 0)

        try sgd.loadState(stepCount: 5, tensors: ["w.momentum_buffer": good])
        #expect(Array(sgd.stateBuffers[0].values) == [7, 8])
        #expect(sgd.stepCount == 5)
    }

    @Test func errorMessagesSayWhatAndHowToFix() {
        let message = OptimizerStateError.missingTensor("fc.weight.exp_avg", optimizer: "Adam").description
        #expect(message.contains("fc.weight.exp_avg") && message.contains("Adam") && message.contains("same optimizer settings"))
    }
}
