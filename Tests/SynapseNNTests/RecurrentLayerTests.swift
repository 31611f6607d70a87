import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// RNN, LSTM, GRU modules: PyTorch's parameter names and initialization, stacking, state
/// carried across calls, dropout between layers.
@Suite struct RecurrentLayerTests {
    @Test func lstmParameterNamesAndShapesArePyTorchs() {
        // torch.nn.LSTM(input_size=5, hidden_size=3, num_layers=2): [(n, tuple(p.shape)) for n, p in named_parameters()]
        var rng = RandomGenerator(seed: 1)
        let model = Sequential(named: [("lstm", LSTM(inputSize: 5, hiddenSize: 3, layers: 2, rng: &rng))])
        let params = model.namedParameters()
        #expect(params.map(\.name) == [
            "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1",
        ])
        #expect(params.map(\.tensor.shape) == [[12, 5], [12, 3], [12], [12], [12, 3], [12, 3], [12], [12]])
    }

    @Test func gruAndRNNShapesAndBiasFree() {
        var rng = RandomGenerator(seed: 2)
        let g = GRU(inputSize: 4, hiddenSize: 2, rng: &rng)
        #expect(g.namedParameters().map(\.tensor.shape) == [[6, 4], [6, 2], [6], [6]])
        let r = RNN(inputSize: 4, hiddenSize: 2, layers: 2, bias: false, rng: &rng)
        #expect(r.namedParameters().map(\.name) == ["weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"])
        #expect(r.namedParameters().map(\.tensor.shape) == [[2, 4], [2, 2], [2, 2], [2, 2]])
    }

    @Test func initializationIsUniformWithinOneOverSqrtHidden() {
        // H = 16: every value in ±1/4; 4·(64·8 + 64·16 + 2·64) values, so the extremes come close to the bound.
        var rng = RandomGenerator(seed: 3)
        let m = LSTM(inputSize: 8, hiddenSize: 16, rng: &rng)
        let all = m.namedParameters().flatMap(\.tensor.scalars)
        #expect(all.allSatisfy { abs($0) <= 0.25 })
        #expect(all.max()! > 0.245 && all.min()! < -0.245)
        #expect(abs(all.reduce(0, +) / Float(all.count)) < 0.01)
    }

    /// The module run layer by layer with the ops, from zero state, as a second opinion.
    func manualLSTM(_ m: LSTM, _ x: Tensor) -> Tensor {
        m.layers.reduce(x) { input, w in
            lstm(input, weightIH: w.weightIH, weightHH: w.weightHH, biasIH: w.biasIH, biasHH: w.biasHH).output
        }
    }

    @Test func stackedModuleChainsTheOps() {
        var rng = RandomGenerator(seed: 4)
        let m = LSTM(inputSize: 3, hiddenSize: 4, layers: 3, rng: &rng)
        let x = randomTensor([2, 5, 3], seed: 5)
        let y = m(x)
        #expect(y.shape == [2, 5, 4])
        #expect(y.scalars == manualLSTM(m, x).scalars)
    }

    @Test func stateCarriedAcrossCallsEqualsOneLongCall() {
        // Running 6 steps at once equals running 4, then 2 more from the returned state.
        var rng = RandomGenerator(seed: 6)
        let x = randomTensor([2, 6, 3], seed: 7)
        let first = noGrad { timeSlice(x, 0..<4) }, second = noGrad { timeSlice(x, 4..<6) }
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, rng: &rng)
        let gru = GRU(inputSize: 3, hiddenSize: 4, layers: 2, rng: &rng)
        let rnn = RNN(inputSize: 3, hiddenSize: 4, layers: 2, rng: &rng)
        let runs: [(String, (Tensor, RecurrentState?) -> (output: Tensor, state: RecurrentState))] = [
            ("LSTM", lstm.forward(_:state:)), ("GRU", gru.forward(_:state:)), ("RNN", rnn.forward(_:state:)),
        ]
        for (name, run) in runs {
            let whole = run(x, nil)
            let a = run(first, nil)
            let b = run(second, a.state)
            expectClose(lastTimeStep(b.output).scalars, lastTimeStep(whole.output).scalars, rtol: 1e-6, atol: 1e-6, name)
            #expect(b.state.hidden.count == 2 && b.state.cell.count == (name == "LSTM" ? 2 : 0), "\(name)")
            for k in 0..<2 {
                expectClose(b.state.hidden[k].scalars, whole.state.hidden[k].scalars, rtol: 1e-6, atol: 1e-6, "\(name) h[\(k)]")
            }
        }
    }

    @Test func gradientsReachInputStateAndEveryParameter() {
        var rng = RandomGenerator(seed: 8)
        let m = GRU(inputSize: 2, hiddenSize: 3, layers: 2, rng: &rng)
        let x = randomTensor([2, 3, 2], seed: 9)
        let h0 = [randomTensor([2, 3], seed: 10), randomTensor([2, 3], seed: 11)]
        let params = m.namedParameters().map(\.tensor)
        expectGradientsMatch([x] + h0 + params, "GRU module") {
            let (y, state) = m.forward(x, state: RecurrentState(hidden: h0))
            return add(weightedSum(y, seed: 12), weightedSum(state.hidden[0], seed: 13))
        }
    }

    @Test func dropoutActsBetweenLayersInTrainingOnly() {
        var rng = RandomGenerator(seed: 14)
        let x = randomTensor([2, 4, 3], seed: 15)
        let m = LSTM(inputSize: 3, hiddenSize: 5, layers: 2, dropout: 0.5, rng: &rng,
                     dropoutRNG: RandomGenerator(seed: 16, stream: RandomGenerator.Stream.dropout))
        #expect(m.children.map(\.name) == ["layerDropout"], "a child module, so the trainer reseeds it")
        let plain = manualLSTM(m, x).scalars
        m.eval()
        #expect(m(x).scalars == plain, "evaluation mode: no dropout")
        m.train()
        let dropped = m(x).scalars
        #expect(dropped != plain)
        // Reseeding the mask generator repeats the mask.
        m.layerDropout!.rng = RandomGenerator(seed: 16, stream: RandomGenerator.Stream.dropout)
        #expect(m(x).scalars == dropped)
        // One layer: nothing lies between layers, so dropout changes nothing (as in PyTorch).
        var rng1 = RandomGenerator(seed: 17)
        let single = LSTM(inputSize: 3, hiddenSize: 5, dropout: 0.5, rng: &rng1)
        #expect(single(x).scalars == manualLSTM(single, x).scalars)
    }

    @Test func sequenceClassifierReadsTheLastStep() {
        // 28×28 images as 28 rows of 28 pixels → LSTM → last step → 10 classes.
        var rng = RandomGenerator(seed: 18)
        let model = Sequential(named: [
            ("lstm", LSTM(inputSize: 28, hiddenSize: 8, rng: &rng)),
            ("last", LastTimeStep()),
            ("head", Linear(inputSize: 8, outputSize: 10, rng: &rng)),
        ])
        let images = randomTensor([4, 28, 28], seed: 19, low: 0, high: 1)
        let logits = model(images)
        #expect(logits.shape == [4, 10])
        crossEntropy(logits: logits, labels: [0, 3, 9, 1]).backward()
        for (name, p) in model.namedParameters() {
            #expect(p.grad != nil && p.grad!.scalars.contains { $0 != 0 }, "\(name) receives a gradient")
        }
    }
}

/// Steps `range` of x [B, T, C] as a new [B, range.count, C] tensor (not on the tape).
private func timeSlice(_ x: Tensor, _ range: Range<Int>) -> Tensor {
    let B = x.shape[0], T = x.shape[1], C = x.shape[2]
    let y = Tensor(uninitializedShape: [B, range.count, C])
    for b in 0..<B {
        (y.pointer + b * range.count * C).update(from: x.pointer + (b * T + range.lowerBound) * C, count: range.count * C)
    }
    return y
}
