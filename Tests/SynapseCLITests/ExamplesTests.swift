import Foundation
import Testing
import SynapseTestSupport

/// The guide's chapters (Examples/) run and print what the text says they print.
@Suite struct ExamplesTests {
    @Test(.enabled(if: ProcessRunner.builtProduct(named: "SingleNeuron") != nil, "SingleNeuron is not built"))
    func singleNeuronComputesZByHandAndWithALayer() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "SingleNeuron")), [])
        #expect(result.status == 0, "\(result.report)")
        // z = 2·0.5 + 3·(−0.3) + 1·0.8 + 0.1 = 1.0, by hand and through Linear(3 → 1).
        #expect(result.stdout.contains("z = 2·0.5 + 3·(−0.3) + 1·0.8 + 0.1 = 1.0\n"), "\(result.report)")
        #expect(result.stdout.contains("Linear(3 → 1) gives z = 1.0\n"), "\(result.report)")
        #expect(result.stdout.contains("sigmoid(z) = 1 / (1 + e^−z)  = 0.7311"), "\(result.report)")
        #expect(result.stdout.contains("1 AND 1 = 1") && result.stdout.contains("0 OR 0 = 0"), "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "QuickStart") != nil, "QuickStart is not built"))
    func quickStartRunsToTheGradient() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "QuickStart")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stdout.contains("Total: 2850 parameters"), "\(result.report)")
        #expect(result.stdout.contains("Gradient norm over all 2850 parameters"), "\(result.report)")
        // The printed loss is −log of the printed probability of label 1.
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let softmax = try #require(lines.first { $0.hasPrefix("softmax:") }, "\(result.report)")
        let probabilities = softmax.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }
            .split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        try #require(probabilities.count == 2, "\(softmax)")
        let lossLine = try #require(lines.first { $0.hasPrefix("Cross-entropy loss for label 1:") }, "\(result.report)")
        let loss = try #require(Double(lossLine.split(separator: " ").last ?? ""), "\(lossLine)")
        #expect(abs(loss + log(probabilities[1])) < 1e-5, "\(lossLine) vs softmax \(probabilities)")
        #expect(abs(probabilities[0] + probabilities[1] - 1) < 1e-5)
        #expect(result.stderr.isEmpty, "\(result.report)")
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "Backpropagation") != nil, "Backpropagation is not built"))
    func backpropagationByHandMatchesAutogradAndFiniteDifferences() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "Backpropagation")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Reference values from an independent implementation (numpy, float64) of the same
        // network, weights and loss (Examples/Backpropagation, section 1).
        let reference: [String: [Double]] = [
            "W1": [0.00483616, -0.00784638, 0.0409568, 0.04532513, -0.01175369, 0.02527762],
            "b1": [0.0325878, 0.01127382, 0.0389455],
            "W2": [0.00204635, -0.08900904, 0.02141919],
            "b2": [-0.01553243],
        ]
        for (name, expected) in reference {
            let byHand = try Self.list(in: lines, containing: "∂L/∂\(name)  chain rule")
            let autograd = try Self.list(in: lines, containing: "∂L/∂\(name)  autograd")
            let numerical = try Self.list(in: lines, containing: "∂L/∂\(name)  numerical")
            try #require(byHand.count == expected.count && autograd.count == expected.count
                         && numerical.count == expected.count, "∂L/∂\(name): \(byHand) \(autograd) \(numerical)")
            // Printed with 6 decimals: 5e-7 of rounding, so 1e-5 is a real check.
            #expect(Self.maxDifference(byHand, autograd) < 1e-5, "∂L/∂\(name) chain rule \(byHand) vs autograd \(autograd)")
            #expect(Self.maxDifference(byHand, numerical) < 1e-5, "∂L/∂\(name) chain rule \(byHand) vs numerical \(numerical)")
            #expect(Self.maxDifference(byHand, expected) < 2e-6, "∂L/∂\(name) chain rule \(byHand) vs numpy \(expected)")
        }
        #expect(result.stdout.contains("L  = −mean(y·log ŷ + (1 − y)·log(1 − ŷ)) = 0.753253\n"), "\(result.report)")
        // After training, both the hand-written loop and Synapse's SGD solve XOR.
        for who in ["ŷ by hand =", "ŷ Synapse ="] {
            let predictions = try Self.list(in: lines, containing: who)
            #expect(predictions.map { $0 >= 0.5 ? 1 : 0 } == [0, 1, 1, 0], "\(who) \(predictions)")
            #expect(zip(predictions, [0.0, 1, 1, 0]).allSatisfy { abs($0 - $1) < 0.1 }, "\(who) \(predictions)")
        }
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "Optimizers") != nil, "Optimizers is not built"))
    func optimizersFirstStepsAndValleyRaceMatchHandAndReferenceValues() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "Optimizers")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Section 1: the first step from θ₀ = (−4, 1), g = (−4, 100), measured by Synapse.
        // By hand: SGD −γ·g; Nesterov −γ(1 + μ)·g; AdaGrad and (bias-corrected) Adam −γ·sign(g);
        // RMSprop −γ·g/√(0.01·g²) = −10γ·sign(g).
        let firstSteps = Self.section(lines, from: "1. The first step", to: "2. ")
        let expectedSteps: [(String, [Double])] = [
            ("gradient descent", [0.076, -1.9]), ("momentum 0.9", [0.04, -1]), ("Nesterov 0.9", [0.076, -1.9]),
            ("AdaGrad", [1, -1]), ("RMSprop", [1, -1]), ("Adam", [0.1, -0.1]),
        ]
        for (name, expected) in expectedSteps {
            let row = try #require(firstSteps.first { $0.hasPrefix("   \(name) ") }, "no row for \(name)")
            let measured = Self.numbers(in: row.drop { $0 != "(" }.prefix { $0 != ")" }
                .replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ",", with: " "))
            try #require(measured.count == 2, "\(row)")
            #expect(Self.maxDifference(measured, expected) < 1e-4, "\(name): Δθ \(measured), by hand \(expected)")
        }
        // Section 2: steps to f < 1e-4 on the aligned valley, as an independent float64 numpy
        // implementation of PyTorch's update rules counts them; the three SGD variants must
        // print identical numbers for the turned valley (they are rotation-invariant).
        let race = Self.section(lines, from: "2. f(x, y)", to: "3. ")
        let referenceSteps: [(String, Int)] = [
            ("gradient descent", 295), ("momentum 0.9", 109), ("Nesterov 0.9", 24),
            ("AdaGrad", 33), ("RMSprop", 31), ("Adam", 110),
        ]
        for (name, steps) in referenceSteps {
            let row = try #require(race.first { $0.hasPrefix("   \(name) ") }, "no row for \(name)")
            let tokens = row.split(separator: " ").map(String.init)
            let stepsAt = try #require(tokens.firstIndex(of: "steps"), "\(row)")
            #expect(Int(tokens[stepsAt - 1]) == steps, "\(name): \(row), numpy counts \(steps) steps")
            if name == "gradient descent" || name.hasPrefix("momentum") || name.hasPrefix("Nesterov") {
                let columns = Array(tokens[(stepsAt - 2)...])   // loss, steps, "steps" for each valley
                try #require(columns.count == 6, "\(row)")
                #expect(Array(columns[0..<3]) == Array(columns[3..<6]), "\(name) is not rotation-invariant: \(row)")
            }
        }
        // Section 3: Adam fits the two spirals.
        let spirals = Self.section(lines, from: "3. Two spirals", to: "No optimizer")
        let adam = try #require(spirals.first { $0.hasPrefix("   Adam ") }, "\(result.report)")
        let accuracy = try #require(Self.numbers(in: adam).last, "\(adam)")
        #expect(accuracy >= 95, "\(adam)")
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "Convolution") != nil, "Convolution is not built"))
    func convolutionByHandEqualsConv2dIm2colAndMaxPool() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "Convolution")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Sobel-x over a 3×3 bright square, padding 1, worked out on paper:
        // out[i] = D[i−1] + 2·D[i] + D[i+1] with D = [1, 1, 0, −1, −1] on the square's rows.
        let rowScale: [Double] = [1, 3, 4, 3, 1], columnSign: [Double] = [1, 1, 0, -1, -1]
        let expectedSobel: [Double] = (0..<25).map { k in rowScale[k / 5] * columnSign[k % 5] }
        #expect(Self.grid(lines, after: "1. A convolution by hand", label: "output", rows: 5) == expectedSobel)
        #expect(Self.grid(lines, after: "2. The same with conv2d", label: "output", rows: 5) == expectedSobel)
        // im2col of the 4×4 image 1…16, 3×3 kernel: column (oh, ow), row (a, b) holds pixel
        // 1 + 4·(oh + a) + (ow + b).
        var expectedColumns: [Double] = []
        for tap in 0..<9 {
            for window in 0..<4 {
                let row = window / 2 + tap / 3, column = window % 2 + tap % 3
                expectedColumns.append(Double(1 + 4 * row + column))
            }
        }
        #expect(Self.grid(lines, after: "3. im2col", label: "columns", rows: 9) == expectedColumns)
        // A box kernel sums each window: 9 × centre pixel (6, 7, 10, 11).
        #expect(Self.grid(lines, after: "3. im2col", label: "weight·columns =", rows: 1) == [54, 63, 90, 99])
        #expect(Self.grid(lines, after: "3. im2col", label: "conv2d         =", rows: 1) == [54, 63, 90, 99])
        #expect(Self.grid(lines, after: "4. Max pooling", label: "maxPool2d ", rows: 2) == [4, 5, 6, 7])
        #expect(Self.grid(lines, after: "4. Max pooling", label: "gradient", rows: 4)
                == [0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0])
        // Section 5 trains a small CNN when Fashion-MNIST is installed, and says it skips it otherwise.
        let directory = "/usr/share/datasets/fashion-mnist/"
        let hasData = ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte"].allSatisfy { name in
            [name, name + ".gz"].contains { FileManager.default.fileExists(atPath: directory + $0) }
        }
        if hasData {
            let lastEpoch = try #require(lines.last { $0.hasPrefix("   epoch ") }, "\(result.report)")
            let accuracy = try #require(Self.numbers(in: lastEpoch).last, "\(lastEpoch)")
            #expect(accuracy >= 70, "\(lastEpoch)")
        } else {
            #expect(result.stdout.contains("Skipped: Fashion-MNIST is not in"), "\(result.report)")
        }
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "Convolution") != nil, "Convolution is not built"))
    func convolutionSkipsTheCNNWithoutTheDataAndExitsZero() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-fashion-mnist-\(getpid())").path
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "Convolution")), [missing])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        #expect(result.stdout.contains("maxPool2d equals the hand computation: yes"), "\(result.report)")
        #expect(result.stdout.contains("Skipped: Fashion-MNIST is not in \(missing)"), "\(result.report)")
        #expect(!result.stdout.contains("epoch 1:"), "\(result.report)")
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "Regularization") != nil, "Regularization is not built"))
    func regularizationShowsOverfittingAndItsRemedies() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "Regularization")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Section 2, the plain run's curve (epoch, train loss, val loss, train acc, val acc):
        // training loss keeps falling while validation loss turns upward. Measured: validation
        // loss 0.45 at its lowest, 4.2 at the end; training loss 0.28 there, 0.0002 at the end.
        let curve = Self.section(lines, from: "2. Plain training", to: "3. ").map { Self.numbers(in: $0) }
            .filter { $0.count == 5 }
        let last = try #require(curve.last, "\(result.report)")
        let lowest = try #require(curve.min { $0[2] < $1[2] }, "\(result.report)")
        #expect(last[2] > 2 * lowest[2], "plain validation loss at the end \(last) vs lowest \(lowest)")
        #expect(last[1] < lowest[1] / 10, "plain training loss at the end \(last) vs at the lowest validation loss \(lowest)")
        // Section 3: train acc, val acc, gap per recipe. Measured: plain 100.0 / 79.5 (gap 20.6);
        // L2 gap 6.1, L1 10.0, dropout 9.7, early stop 2.9.
        let table = Self.section(lines, from: "3. ", to: "4. ")
        func row(_ name: String) throws -> [Double] {
            let line = try #require(table.first { $0.hasPrefix("   \(name) ") }, "no row for \(name)")
            let values = Self.numbers(in: line)
            try #require(values.count >= 3, "\(line)")
            #expect(abs(values[2] - (values[0] - values[1])) < 0.15, "gap ≠ train − val: \(line)")
            return values
        }
        let plain = try row("plain")
        #expect(plain[0] >= 99, "plain does not memorize its training set: \(plain)")
        #expect(plain[2] >= 10, "plain's train–validation gap is too small to show overfitting: \(plain)")
        for name in ["L2", "L1", "dropout", "early stop"] {
            let remedy = try row(name)
            #expect(remedy[2] <= plain[2] - 3, "\(name) gap \(remedy[2]) is not clearly below plain's \(plain[2])")
        }
        // Section 5: ‖w‖, % of |w| < 0.001, % of |w| < 0.01, count ≥ 0.01. Measured: plain
        // 37.6 and 4.5 % below 0.01, L1 99.3 % below 0.01, L2 10.5.
        let weights = Self.section(lines, from: "5. ", to: "6. ")
        let plainWeights = Self.numbers(in: try #require(weights.first { $0.hasPrefix("   plain ") }, "\(result.report)"))
        let l1Weights = Self.numbers(in: try #require(weights.first { $0.hasPrefix("   L1 ") }, "\(result.report)"))
        let l2Weights = Self.numbers(in: try #require(weights.first { $0.hasPrefix("   L2 ") }, "\(result.report)"))
        try #require(plainWeights.count == 4 && l1Weights.count == 4 && l2Weights.count == 4, "\(weights)")
        #expect(l1Weights[2] >= 80 && plainWeights[2] <= 20, "L1 \(l1Weights) is not sparse next to plain \(plainWeights)")
        #expect(l2Weights[0] < plainWeights[0] / 2, "L2 did not shrink the weights: \(l2Weights) vs plain \(plainWeights)")
        // Section 6: best epoch, stop epoch, restored epoch; then the validation accuracy there and
        // at the end of the plain run. Measured: 50, 150, 50; 86.1 % vs 79.5 % after 2000 epochs.
        let stopping = Self.section(lines, from: "6. ", to: "\u{0}")
        let epochs = Self.numbers(in: try #require(stopping.first { $0.contains("stopped at epoch") }, "\(result.report)"))
        let accuracies = Self.numbers(in: try #require(stopping.first { $0.contains("validation accuracy") }, "\(result.report)"))
        try #require(epochs.count == 3 && accuracies.count == 4, "\(stopping)")
        #expect(epochs[0] == epochs[2] && epochs[1] == epochs[0] + 100, "patience 100: \(epochs)")
        #expect(epochs[1] < accuracies[3], "early stopping did not stop before epoch \(accuracies[3]): \(epochs)")
        #expect(accuracies[0] >= accuracies[2] + 1, "early stopping's validation accuracy is not above plain's: \(accuracies)")
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "Recurrent") != nil, "Recurrent is not built"))
    func recurrentCellsByHandMatchTheOpsAndTheLSTMRemembersWhereTheRNNCannot() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "Recurrent")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Sections 1 and 2: two steps of each cell from x₁ = (1, 0), x₂ = (0.5, −1), h₀ = c₀ = 0 with
        // the chapter's weights, computed independently in numpy (float64).
        let rnn = Self.section(lines, from: "1. A tanh RNN", to: "2. ")
        let lstm = Self.section(lines, from: "2. An LSTM", to: "3. ")
        let reference: [(lines: [String], library: String, name: String, values: [Double])] = [
            (rnn, "rnnTanh", "h₁", [0.53704957, 0.09966799, -0.37994896]),
            (rnn, "rnnTanh", "h₂", [0.67483138, -0.81141445, -0.00172175]),
            (lstm, "lstm   ", "h₁", [0.16320823, -0.09123164, 0.05399921]),
            (lstm, "lstm   ", "h₂", [0.25778803, -0.17532683, -0.05826436]),
            (lstm, "lstm   ", "c₂", [0.63453556, -0.37252076, -0.09087848]),
        ]
        for (section, library, name, expected) in reference {
            let byHand = try Self.list(in: section, containing: "by hand  \(name) =")
            let fromLibrary = try Self.list(in: section, containing: "\(library)  \(name) =")
            // Printed with 6 decimals: the hand computation is float64, so only rounding (5e-7) is left.
            #expect(Self.maxDifference(byHand, expected) < 1e-6, "\(name) by hand \(byHand) vs numpy \(expected)")
            #expect(Self.maxDifference(fromLibrary, expected) < 2e-6, "\(name) \(library) \(fromLibrary) vs numpy \(expected)")
        }
        for (section, library) in [(rnn, "rnnTanh"), (lstm, "lstm")] {
            let line = try #require(section.first { $0.contains("\(library) vs by hand, largest difference:") }, "\(result.report)")
            let tokens = line.split(separator: " ")   // "… largest difference: 4.1e-08   (Synapse computes in Float)"
            let after = try #require(tokens.firstIndex(of: "difference:"), "\(line)") + 1
            let difference = try #require(tokens.indices.contains(after) ? Double(tokens[after]) : nil, "\(line)")
            #expect(difference < 1e-6, "\(line)")
        }
        // Section 3: ‖∂loss/∂x₁‖ for T = 5 … 80. Measured: RNN 6.4e-02 → 2.7e-19, LSTM 6.5e-02 → 8.4e-07.
        let table = Self.section(lines, from: "3. Why LSTMs exist", to: "4. ").map { Self.numbers(in: $0) }
            .filter { $0.count == 3 }
        try #require(table.map { $0[0] } == [5, 10, 20, 40, 80], "\(table)")
        let (rnnGradient, lstmGradient) = (table.map { $0[1] }, table.map { $0[2] })
        #expect(rnnGradient.allSatisfy { $0 > 0 } && lstmGradient.allSatisfy { $0 > 0 }, "\(table)")
        #expect(zip(rnnGradient, rnnGradient.dropFirst()).allSatisfy { $1 < $0 }, "the RNN's gradient does not shrink with T: \(rnnGradient)")
        #expect(rnnGradient[4] < 1e-3 * rnnGradient[0], "the RNN's gradient does not vanish: \(rnnGradient)")
        for k in 2..<5 {
            #expect(lstmGradient[k] > 100 * rnnGradient[k], "T = \(table[k][0]): LSTM \(lstmGradient[k]) vs RNN \(rnnGradient[k])")
        }
        #expect(lstmGradient[4] > 1e6 * rnnGradient[4], "T = 80: LSTM \(lstmGradient[4]) vs RNN \(rnnGradient[4])")
        // Section 4: the first-bit task. Measured: RNN 49.6 %, LSTM 100.0 %.
        let task = Self.section(lines, from: "4. Remember the first bit", to: "5. ")
        let accuracies = Self.numbers(in: try #require(task.first { $0.contains("after training:") }, "\(result.report)"))
        try #require(accuracies.count == 2, "\(task)")
        #expect(accuracies[1] >= 95, "the LSTM did not learn to remember the first bit: \(accuracies)")
        #expect(accuracies[0] <= 70, "the tanh RNN is not near chance: \(accuracies)")
        // Section 5: the memory unit's final cell has opposite signs for the two bits, its candidate g
        // follows the bit at the later steps, and its forget gate rose above its initial σ(1).
        let inside = Self.section(lines, from: "5. Inside the trained LSTM", to: "The same layer")
        func values(_ marker: String) throws -> [Double] {
            Self.numbers(in: try #require(inside.first { $0.contains(marker) }, "no line with \(marker)"))
        }
        // "… 3.529 when the first bit is 1, -7.977 when it is 0": the values are numbers 0 and 2.
        let cell = try values("mean c_T:"), forget = try values("mean forget gate f:"), candidate = try values("mean candidate  g:")
        try #require(cell.count == 4 && candidate.count == 4 && !forget.isEmpty, "\(inside)")
        #expect(cell[0] * cell[2] < 0 && candidate[0] * cell[0] > 0 && candidate[2] * cell[2] > 0, "\(inside)")
        #expect(forget[0] > 0.75, "\(inside)")
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "Attention") != nil, "Attention is not built"))
    func attentionByHandMatchesNumpyAndTheFusedOpAndATinyGPTLearnsToReverse() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "Attention")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Sections 1–3: the attention weights of "the cat sat on the mat" with the chapter's word
        // vectors, W_q and W_k, computed independently in numpy (float64) by
        // Reference/make_attention_reference.py. Causal rows hold the visible entries 0...t only.
        let full: [[Double]] = [
            [0.05325349, 0.39349302, 0.05325349, 0.05325349, 0.05325349, 0.39349302],
            [0.39349302, 0.05325349, 0.05325349, 0.05325349, 0.39349302, 0.05325349],
            [0.08677248, 0.64116671, 0.08677248, 0.01174338, 0.08677248, 0.08677248],
            [0.08071640, 0.08071640, 0.59641800, 0.08071640, 0.08071640, 0.08071640],
            [0.05325349, 0.39349302, 0.05325349, 0.05325349, 0.05325349, 0.39349302],
            [0.29359903, 0.03973431, 0.29359903, 0.03973431, 0.29359903, 0.03973431],
        ]
        let causal: [[Double]] = [
            [1.00000000],
            [0.88079708, 0.11920292],
            [0.10650698, 0.78698604, 0.10650698],
            [0.09625514, 0.09625514, 0.71123459, 0.09625514],
            [0.08780359, 0.64878564, 0.08780359, 0.08780359, 0.08780359],
            [0.29359903, 0.03973431, 0.29359903, 0.03973431, 0.29359903, 0.03973431],
        ]
        let head0: [[Double]] = [
            [1.00000000],
            [0.50000000, 0.50000000],
            [0.05285739, 0.89428521, 0.05285739],
            [0.05020376, 0.05020376, 0.84938873, 0.05020376],
            [0.20000000, 0.20000000, 0.20000000, 0.20000000, 0.20000000],
            [0.04562288, 0.04562288, 0.77188562, 0.04562288, 0.04562288, 0.04562288],
        ]
        let head1: [[Double]] = [
            [1.00000000],
            [0.94419278, 0.05580722],
            [0.33333333, 0.33333333, 0.33333333],
            [0.25000000, 0.25000000, 0.25000000, 0.25000000],
            [0.04780382, 0.80878470, 0.04780382, 0.04780382, 0.04780382],
            [0.44714261, 0.02642870, 0.02642870, 0.02642870, 0.44714261, 0.02642870],
        ]
        let tables: [(section: String, marker: String, expected: [[Double]])] = [
            ("1. Self-attention by hand", "attention weights a(t, s)", full),
            ("2. The causal mask", "the same scores", causal),
            ("3. The same through Synapse", "head 0, dimensions", head0),
            ("3. The same through Synapse", "head 1, dimensions", head1),
        ]
        for (section, marker, expected) in tables {
            let printed = Self.attentionTable(lines, section: section, after: marker, rows: expected.count)
            // Same entries visible (the mask: "·" right of the diagonal), printed with 3 decimals.
            try #require(printed.map(\.count) == expected.map(\.count), "\(marker): \(printed)")
            #expect(Self.maxDifference(printed.flatMap { $0 }, expected.flatMap { $0 }) < 6e-4,
                    "\(marker): printed \(printed), numpy \(expected)")
        }
        // Shuffling the words only moves the outputs (Double, so rounding only); the fused op and
        // its plain-loop reference equal the by-hand causal outputs but for Float rounding.
        #expect(try Self.largestDifference(lines, after: "shuffled to") < 1e-12)
        for marker in ["one head:  causalSelfAttention", "causalSelfAttentionReference vs", "two heads: causalSelfAttention"] {
            #expect(try Self.largestDifference(lines, after: marker) < 1e-6, "\(marker)")
        }
        // Section 2: with the mask, changing the last word changes no earlier output; without it, it does.
        let change = Self.numbers(in: try #require(lines.first { $0.contains("\"mat\" → \"dog\"") }, "\(result.report)"))
        try #require(change.count == 2, "\(change)")
        #expect(change[0] == 0 && change[1] > 0.05, "with the mask, without: \(change)")
        // Section 4: the loss on the output half falls and the held-out reversals come out right.
        // Measured: loss 2.346 → 0.027 over 300 steps; 100.0 % of digits and of sequences (five
        // other seeds: 100 % by step 225).
        let curve = Self.section(lines, from: "4. A tiny GPT", to: "5. ").map { Self.numbers(in: $0) }.filter { $0.count == 4 }
        let (first, last) = (try #require(curve.first, "\(result.report)"), try #require(curve.last, "\(result.report)"))
        #expect(first[1] > 2 && last[1] < first[1] / 10, "the loss did not fall: \(curve)")
        let accuracy = Self.numbers(in: try #require(lines.first { $0.contains("after training, greedy generation") },
                                                     "\(result.report)"))
        try #require(accuracy.count == 2, "\(accuracy)")
        #expect(accuracy[0] >= 99 && accuracy[1] >= 95, "digits, sequences: \(accuracy)")
        #expect(result.stdout.contains("3 1 4 1 5 9 2 6 | → 6 2 9 5 1 4 1 3\n"), "\(result.report)")
        // Section 5: the by-hand attention reproduces the fused op on the trained weights; some head
        // puts most of its weight on the mirror position (measured: 83 % for block 0, head 3), and
        // in its printed table the rows p = 8…15 that predict output digits look hardest at their
        // mirror position 15 − p (measured: all 8; at least 6 required).
        #expect(try Self.largestDifference(lines, after: "on the library's ln1 and qkv") < 1e-5)
        let heads = Self.section(lines, from: "5. Where the trained model looks", to: "\u{0}")
            .filter { $0.hasPrefix("   block ") && !$0.contains("head") }.map { Self.numbers(in: $0) }
        try #require(heads.count == 2 && heads.allSatisfy { $0.count == 5 }, "\(heads)")   // block number, then 4 heads
        #expect(heads.flatMap { $0.dropFirst() }.max()! >= 50, "no head looks at the mirror position: \(heads)")
        let mirror = Self.attentionTable(lines, section: "5. Where the trained model looks", after: "on the π line", rows: 8)
        try #require(mirror.map(\.count) == Array(9...16), "\(mirror)")   // row p sees positions 0...p
        let strongest = mirror.map { row in row.indices.max { row[$0] < row[$1] }! }
        let onMirror = zip(strongest, (0...7).reversed()).filter { $0 == $1 }.count
        #expect(onMirror >= 6, "largest weight in each row at \(strongest), mirror positions 7…0")
    }

    // MARK: - Reading the chapters' printed numbers

    /// The numbers of a line, e.g. "   output    1   1   0  -1" → [1, 1, 0, -1] (words are skipped).
    private static func numbers(in line: some StringProtocol) -> [Double] {
        line.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
    }

    /// The bracketed list "[a, b, …]" on the first line that contains `marker`.
    private static func list(in lines: [String], containing marker: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws -> [Double] {
        let line = try #require(lines.first { $0.contains(marker) }, "no line contains \(marker)",
                                sourceLocation: sourceLocation)
        return numbers(in: line.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" })
    }

    /// The lines from the first one starting with `start` up to (not including) the next
    /// one starting with `end`.
    private static func section(_ lines: [String], from start: String, to end: String) -> [String] {
        guard let first = lines.firstIndex(where: { $0.hasPrefix(start) }) else { return [] }
        let rest = lines[(first + 1)...]
        return Array(rest.prefix { !$0.hasPrefix(end) })
    }

    /// The numbers of a printed grid: the first line after the header `after` whose text
    /// starts with `label`, and the `rows − 1` lines below it.
    private static func grid(_ lines: [String], after header: String, label: String, rows: Int) -> [Double] {
        let body = section(lines, from: header, to: "\u{0}")
        guard let first = body.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }),
              first + rows <= body.count else { return [] }
        return body[first..<(first + rows)].flatMap { numbers(in: $0) }
    }

    /// The rows of an attention table printed by the Attention chapter: the `rows` lines below
    /// the first "query \ key" header after the first line containing `marker` in `section`,
    /// each as its numbers ("·", a masked entry, is skipped).
    private static func attentionTable(_ lines: [String], section start: String, after marker: String,
                                       rows: Int) -> [[Double]] {
        let body = section(lines, from: start, to: "\u{0}")
        guard let at = body.firstIndex(where: { $0.contains(marker) }),
              let header = body[at...].firstIndex(where: { $0.hasPrefix("   query \\ key") }),
              header + rows < body.count else { return [] }
        return body[(header + 1)...(header + rows)].map { numbers(in: $0) }
    }

    /// The number after "largest difference:" on the first line that contains `marker`.
    private static func largestDifference(_ lines: [String], after marker: String,
                                          sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
        let line = try #require(lines.first { $0.contains(marker) }, "no line contains \(marker)",
                                sourceLocation: sourceLocation)
        let tokens = line.split(separator: " ")
        let after = try #require(tokens.firstIndex(of: "difference:"), "\(line)", sourceLocation: sourceLocation) + 1
        return try #require(tokens.indices.contains(after) ? Double(tokens[after]) : nil, "\(line)",
                            sourceLocation: sourceLocation)
    }

    /// The largest absolute elementwise difference (∞ when the lengths differ).
    private static func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
