import Testing
import SynapseCore
import SynapseNN
@testable import SynapseTrain

/// model.safetensors holds module buffers (batch norm running statistics) next to the
/// parameters, by name, and loading checks them as strictly as the parameters.
@Suite struct ModelBufferCheckpointTests {
    /// A small model with a batch norm whose running statistics have moved off their defaults.
    private func makeModel(seed: UInt64) -> (Sequential, ParameterArena) {
        var rng = RandomGenerator(seed: seed)
        let model = Sequential(named: [("fc", Linear(inputSize: 2, outputSize: 3, rng: &rng)),
                                       ("bn1", BatchNorm1d(featureCount: 3))])
        let arena = ParameterArena(parameters: model.namedParameters())
        for step in 0..<Int(seed % 3 + 1) {
            _ = model(Tensor(shape: [4, 2], values: (0..<8).map { Float($0 * (step + 1)) * 0.3 - Float(seed % 5) }))
        }
        return (model, arena)
    }

    private func encode(_ model: Sequential, _ arena: ParameterArena, path: String = "model.safetensors") throws -> SafeTensorsFile {
        try SafeTensorsFile(data: SafeTensors.encode(SafeTensors.entries(of: arena, buffers: model.namedBuffers())), path: path)
    }

    @Test func buffersRoundTripByName() throws {
        let (source, sourceArena) = makeModel(seed: 1)
        let file = try encode(source, sourceArena)
        #expect(file.names == ["fc.weight", "fc.bias", "bn1.weight", "bn1.bias",
                               "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"])
        #expect(file.info(named: "bn1.num_batches_tracked")?.shape == [], "a scalar, as in PyTorch's state_dict")
        #expect(try file.floats(named: "bn1.num_batches_tracked") == [2])

        let (target, targetArena) = makeModel(seed: 7)
        #expect(target.namedBuffers()[0].tensor.scalars != source.namedBuffers()[0].tensor.scalars)
        try file.readModel(into: targetArena, buffers: target.namedBuffers())
        #expect(Array(targetArena.values) == Array(sourceArena.values))
        for (loaded, saved) in zip(target.namedBuffers(), source.namedBuffers()) {
            #expect(loaded.tensor.scalars == saved.tensor.scalars, "\(loaded.name)")
        }
    }

    @Test func aFileWithoutBuffersIsRejectedAndChangesNothing() throws {
        let (_, sourceArena) = makeModel(seed: 1)
        let parametersOnly = try SafeTensorsFile(data: SafeTensors.encode(SafeTensors.entries(of: sourceArena)),
                                                 path: "old/model.safetensors")
        let (target, targetArena) = makeModel(seed: 7)
        let before = Array(targetArena.values)
        let error = #expect(throws: SafeTensorsError.self) {
            try parametersOnly.readModel(into: targetArena, buffers: target.namedBuffers())
        }
        #expect(error?.kind == .missingTensor)
        #expect(error?.description.hasPrefix("old/model.safetensors: the model's 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked' are not in the file") == true)
        #expect(Array(targetArena.values) == before, "parameters untouched when a buffer is missing")
    }

    @Test func aBufferOfAnotherShapeIsNamedInTheError() throws {
        let (source, sourceArena) = makeModel(seed: 1)
        var entries = SafeTensors.entries(of: sourceArena)
        entries += source.namedBuffers().map {
            $0.name == "bn1.running_mean"
                ? SafeTensorsEntry(name: $0.name, shape: [4], values: [0, 0, 0, 0])
                : SafeTensorsEntry(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.scalars)
        }
        let file = try SafeTensorsFile(data: SafeTensors.encode(entries), path: "m.safetensors")
        let (target, targetArena) = makeModel(seed: 7)
        let runningVar = target.namedBuffers()[1].tensor.scalars
        let error = #expect(throws: SafeTensorsError.self) {
            try file.readModel(into: targetArena, buffers: target.namedBuffers())
        }
        #expect(error?.kind == .shapeMismatch)
        #expect(error?.description.contains("'bn1.running_mean' is [4] in the file but [3] in the model") == true)
        #expect(target.namedBuffers()[1].tensor.scalars == runningVar, "no buffer copied either")
    }

    @Test func tensorsTheModelLacksAreRejected() throws {
        let (source, sourceArena) = makeModel(seed: 1)
        let entries = SafeTensors.entries(of: sourceArena, buffers: source.namedBuffers())
            + [SafeTensorsEntry(name: "bn2.running_mean", shape: [3], values: [0, 0, 0])]
        let file = try SafeTensorsFile(data: SafeTensors.encode(entries), path: "m.safetensors")
        let (target, targetArena) = makeModel(seed: 7)
        let error = #expect(throws: SafeTensorsError.self) {
            try file.readModel(into: targetArena, buffers: target.namedBuffers())
        }
        #expect(error?.kind == .unexpectedTensors)
        #expect(error?.description.contains("'bn2.running_mean'") == true)
    }
}
