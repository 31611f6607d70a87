import Foundation

/// How much memory one rank needs to train a config, computed from the config and the data's
/// shape BEFORE anything is allocated, so a model that cannot fit is refused with a message
/// instead of being killed by the kernel (or trapping on an integer overflow) part-way.
///
/// Bytes per rank = parameters (4 bytes each) + their gradients (the same) + optimizer state
/// (momentum, Adam's two moments …) + the moving average and SAM's saved weights when on +
/// activations of one step + the data set in memory. Activations are a deliberate upper
/// estimate per layer kind, in Float32 values per sample:
///
/// - MLP: per layer of width h, the linear output and the activation (and dropout's output
///   and mask), each with its gradient; the classifier's logits, probabilities and gradient.
/// - CNN: per conv layer at H×W with C_in → C_out channels, the im2col columns
///   (C_in·k²·H·W, and their gradient) and the conv, batch norm and activation outputs with
///   gradients (6·C_out·H·W); pooling's output and gradient.
/// - Recurrent: per layer and time step, the input projections and the saved gates
///   (gates·H each) and the hidden and cell states, with gradients.
/// - Transformer: per layer and position, 17·C values (normalized inputs, q/k/v, attention
///   output, projections, the 4C-wide MLP before and after its activation, residuals) and the
///   attention weights (heads·T), with gradients; the logits over the vocabulary at every
///   position.
///
/// Training keeps a step's activations and their gradients for the local micro-batch
/// (`batch_size / (ranks × accumulate_steps)`: with gradient accumulation one micro-batch is in
/// memory at a time); evaluation keeps the forward values of `eval_batch_size / ranks`
/// samples; the larger of the two counts. All arithmetic is overflow-checked: a width near
/// `Int.max` gives `Overflow`, never a trap.
public struct MemoryEstimate: Sendable, Equatable {
    /// Trainable parameters (Float32 values).
    public var parameters: Int
    /// Bytes of the parameters.
    public var parameterBytes: Int
    /// Bytes of the gradients (one per parameter).
    public var gradientBytes: Int
    /// Bytes of the optimizer's state, the moving average and SAM's copy of the weights.
    public var optimizerBytes: Int
    /// Bytes of one step's activations (training or evaluation, the larger).
    public var activationBytes: Int
    /// Bytes of the data set held in memory by every rank.
    public var dataBytes: Int

    /// All of it: what one rank needs.
    public var totalBytes: Int {
        // Each part is at most Int.max / 8 (checked when it was computed), so no overflow here.
        parameterBytes + gradientBytes + optimizerBytes + activationBytes + dataBytes
    }

    /// A count too large for a 64-bit integer: the model cannot exist on any machine.
    public struct Overflow: Error {
        /// What was being counted ("parameters of model.hidden[0]").
        public let what: String

        /// The message for the user, naming the keys to change.
        var userError: UserError {
            UserError("the model is too large to exist: counting the \(what) overflows a 64-bit integer. "
                      + "Use smaller widths in the model section (model.hidden, model.conv, model.hidden_size, model.width …)")
        }
    }

    /// The estimate for `config` on samples of `inputShape` ([C, H, W], [features], or `[]`
    /// for token ids) with `classCount` outputs (classes, or the vocabulary), trained on
    /// `ranks` ranks, holding `dataBytes` of data.
    /// - Throws: `UserError` when a count overflows (exit status 2), naming the key to change.
    public init(config: Config, inputShape: [Int], classCount: Int, ranks: Int, dataBytes: Int) throws {
        do {
            self = try Self.computed(config: config, inputShape: inputShape, classCount: classCount, ranks: ranks, dataBytes: dataBytes)
        } catch let overflow as Overflow {
            throw overflow.userError
        }
    }

    private init(parameters: Int, parameterBytes: Int, gradientBytes: Int, optimizerBytes: Int,
                 activationBytes: Int, dataBytes: Int) {
        self.parameters = parameters
        self.parameterBytes = parameterBytes
        self.gradientBytes = gradientBytes
        self.optimizerBytes = optimizerBytes
        self.activationBytes = activationBytes
        self.dataBytes = dataBytes
    }

    /// Throws `UserError` (exit status 2) when counting the parameters of the model `model`
    /// describes overflows: `ModelFactory` calls it before allocating a single layer.
    static func requireCountable(_ model: ModelConfig, inputShape: [Int], classCount: Int) throws {
        do {
            _ = try modelShape(model, inputShape: inputShape, classCount: classCount)
        } catch let overflow as Overflow {
            throw overflow.userError
        }
    }

    private static func computed(config: Config, inputShape: [Int], classCount: Int, ranks: Int, dataBytes: Int) throws -> MemoryEstimate {
        var shape = try Self.modelShape(config.model, inputShape: inputShape, classCount: classCount)
        if inputShape.isEmpty {
            // A text sample is a window of data.context tokens; the shape counted one token.
            shape.activationsPerSample = try Self.product(shape.activationsPerSample, max(1, config.data.context), "activations")
        }
        let parameterBytes = try bytes(shape.parameters, "parameters")
        let optimizerBytes = try bytes(try product(shape.parameters, stateCopies(config), "optimizer state"), "optimizer state")
        let trainBatch = max(1, config.train.batchSize / max(1, ranks * max(1, config.train.accumulateSteps)))
        let evalBatch = max(1, (config.train.evalBatchSize + max(1, ranks) - 1) / max(1, ranks))
        let training = try product(try product(shape.activationsPerSample, trainBatch, "activations"), 2, "activations")
        let evaluation = try product(shape.activationsPerSample, evalBatch, "activations")
        return MemoryEstimate(parameters: shape.parameters, parameterBytes: parameterBytes, gradientBytes: parameterBytes,
                              optimizerBytes: optimizerBytes, activationBytes: try bytes(max(training, evaluation), "activations"),
                              dataBytes: min(max(0, dataBytes), Int.max / 8))
    }

    /// Parameters and activation values per sample of the model `model` describes.
    struct ModelShape: Equatable {
        var parameters = 0
        var activationsPerSample = 0
    }

    /// The parameter count and activations per sample (forward values) of the model.
    static func modelShape(_ m: ModelConfig, inputShape: [Int], classCount: Int) throws -> ModelShape {
        var s = ModelShape()
        let counter = Counter()
        switch m.kind {
        case .mlp:
            let input = try counter.product(inputShape, "input size")
            try counter.mlp(input: input, hidden: m.hidden, dropout: m.dropout > 0, classes: classCount, into: &s)
        case .cnn:
            guard inputShape.count == 3 else { return s }   // ModelFactory reports the wrong data
            var (channels, H, W) = (inputShape[0], inputShape[1], inputShape[2])
            let k2 = try counter.mul(m.kernelSize, m.kernelSize, "model.kernel_size")
            func conv(_ cin: Int, _ cout: Int, _ what: String) throws {
                // weight (+ bias without batch norm; weight and bias of the batch norm with it)
                let weights = try counter.mul(try counter.mul(cin, cout, what), k2, what)
                try counter.add(&s.parameters, try counter.add(weights, m.batchNorm ? try counter.mul(cout, 2, what) : cout, what), what)
                let plane = try counter.mul(H, W, what)
                let columns = try counter.mul(try counter.mul(cin, k2, what), plane, what)
                let outputs = try counter.mul(try counter.mul(cout, plane, what), 6, what)
                try counter.add(&s.activationsPerSample, try counter.add(try counter.mul(columns, 2, what), outputs, what), what)
            }
            for (i, out) in m.conv.enumerated() {
                let what = "parameters of model.conv[\(i)]"
                guard H >= 2 && W >= 2 else { break }   // ModelFactory reports too many blocks
                for j in 1...max(1, m.convsPerBlock) { try conv(j == 1 ? channels : out, out, what) }
                for _ in 0..<m.residualBlocks { try conv(out, out, what); try conv(out, out, what) }
                let pooled = try counter.mul(try counter.mul(out, H / 2, what), W / 2, what)
                try counter.add(&s.activationsPerSample, try counter.mul(pooled, 2, what), what)
                channels = out; H /= 2; W /= 2
            }
            let flat = try counter.mul(try counter.mul(channels, H, "flattened features"), W, "flattened features")
            try counter.mlp(input: flat, hidden: m.hidden, dropout: m.dropout > 0, classes: classCount, into: &s)
        case .lstm, .gru, .rnn:
            let gates = m.kind == .lstm ? 4 : m.kind == .gru ? 3 : 1
            let H = m.hiddenSize, what = "parameters of model.hidden_size"
            let text = inputShape.isEmpty
            let input: Int
            var steps = 1
            if text {
                input = m.embedding   // per token: the caller multiplies by the window length
                try counter.add(&s.parameters, try counter.mul(classCount, m.embedding, "parameters of model.embedding"), what)
            } else {
                guard inputShape.count == 3 else { return s }
                input = inputShape[2]
                steps = try counter.mul(inputShape[0], inputShape[1], "time steps")
            }
            let gH = try counter.mul(gates, H, what)
            for layer in 0..<max(1, m.layers) {
                let fanIn = layer == 0 ? input : H
                let weights = try counter.mul(gH, try counter.add(fanIn, H, what), what)
                try counter.add(&s.parameters, try counter.add(weights, try counter.mul(gH, 2, what), what), what)
            }
            try counter.add(&s.parameters, try counter.add(try counter.mul(H, classCount, what), classCount, what), what)
            // Per time step and layer: projections and gates (2·gates·H) and the states (2H).
            let perStep = try counter.mul(try counter.mul(try counter.add(gH, H, what), 2, what), max(1, m.layers), what)
            if text {
                // Per token: embedding output, the stack, and the logits (values, probabilities, gradient).
                let logits = try counter.mul(classCount, 3, "logits")
                s.activationsPerSample = try counter.add(try counter.add(perStep, m.embedding, what), logits, what)
            } else {
                s.activationsPerSample = try counter.add(try counter.mul(perStep, steps, what), try counter.mul(classCount, 3, "logits"), what)
            }
        case .transformer:
            let C = m.width, what = "parameters of model.width"
            let C2 = try counter.mul(C, C, what)
            // Per block: 2 LayerNorms (4C), qkv (3C² + 3C), projection (C² + C), MLP (8C² + 5C).
            let block = try counter.add(try counter.mul(C2, 12, what), try counter.mul(C, 13, what), what)
            try counter.add(&s.parameters, try counter.mul(block, max(0, m.layers), what), what)
            try counter.add(&s.parameters, try counter.mul(classCount, C, "parameters of the token embedding"), what)
            if m.positions == .learned { try counter.add(&s.parameters, try counter.mul(m.context, C, what), what) }
            try counter.add(&s.parameters, try counter.mul(C, 2, what), what)   // final LayerNorm
            if !m.tieEmbeddings { try counter.add(&s.parameters, try counter.mul(C, classCount, what), what) }
            // Per token: 17·C values and heads·context attention weights per layer, the
            // embeddings, and the logits (values, probabilities, gradient).
            let perLayer = try counter.add(try counter.mul(C, 17, what), try counter.mul(m.heads, m.context, "attention weights"), what)
            let layers = try counter.mul(perLayer, max(0, m.layers), what)
            s.activationsPerSample = try counter.add(try counter.add(layers, try counter.mul(C, 3, what), what),
                                                     try counter.mul(classCount, 3, "logits"), what)
        }
        return s
    }

    /// Copies of the parameters that the optimizer and the recipe keep: momentum (SGD with
    /// momentum, RMSprop with momentum), Adam's two moments, RMSprop's square average (and
    /// mean when centered), AdaGrad's sum; the moving average; SAM's saved weights.
    static func stateCopies(_ config: Config) -> Int {
        let o = config.optimizer
        var copies: Int
        switch o.name {
        case .sgd: copies = o.momentum > 0 ? 1 : 0
        case .adam, .adamw: copies = 2
        case .rmsprop: copies = 1 + (o.centered ? 1 : 0) + (o.momentum > 0 ? 1 : 0)
        case .adagrad: copies = 1
        }
        if config.train.emaDecay > 0 { copies += 1 }
        if config.train.samRho > 0 { copies += 1 }
        return copies
    }

    /// Bytes of `count` Float32 values, refused above Int.max / 8 so sums of parts cannot overflow.
    static func bytes(_ count: Int, _ what: String) throws -> Int {
        let (b, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow, b <= Int.max / 8 else { throw Overflow(what: what) }
        return b
    }

    static func product(_ a: Int, _ b: Int, _ what: String) throws -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw Overflow(what: what) }
        return p
    }

    /// Overflow-checked arithmetic that names what it was counting.
    struct Counter {
        func mul(_ a: Int, _ b: Int, _ what: String) throws -> Int { try MemoryEstimate.product(a, b, what) }

        func add(_ a: Int, _ b: Int, _ what: String) throws -> Int {
            let (s, overflow) = a.addingReportingOverflow(b)
            guard !overflow else { throw Overflow(what: what) }
            return s
        }

        func add(_ total: inout Int, _ b: Int, _ what: String) throws { total = try add(total, b, what) }

        func product(_ values: [Int], _ what: String) throws -> Int {
            try values.reduce(1) { try mul($0, $1, what) }
        }

        /// Fully connected layers `input → hidden… → classes`: weights and biases; per sample
        /// the linear and activation outputs (and dropout's output and mask), the input, and
        /// the classifier's logits, probabilities and gradient.
        func mlp(input: Int, hidden: [Int], dropout: Bool, classes: Int, into s: inout ModelShape) throws {
            var width = input
            try add(&s.activationsPerSample, width, "input size")
            for (i, h) in (hidden + [classes]).enumerated() {
                let what = i < hidden.count ? "parameters of model.hidden[\(i)]" : "parameters of the classifier"
                try add(&s.parameters, try add(try mul(width, h, what), h, what), what)
                let values = i < hidden.count ? (dropout ? 4 : 2) : 3
                try add(&s.activationsPerSample, try mul(h, values, what), what)
                width = h
            }
        }
    }
}

extension MemoryEstimate {
    /// "1.2 GiB", "340 MiB", "12 KiB".
    public static func format(bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    /// The plan line's summary: "~52 MiB per rank (parameters 0.9 MiB, gradients …)".
    public var summary: String {
        "memory ~\(Self.format(bytes: totalBytes)) per rank (parameters \(Self.format(bytes: parameterBytes)), "
            + "gradients \(Self.format(bytes: gradientBytes)), optimizer state \(Self.format(bytes: optimizerBytes)), "
            + "activations \(Self.format(bytes: activationBytes)), data \(Self.format(bytes: dataBytes)))"
    }

    /// Throws a `UserError` (exit status 2) when `ranksHere` ranks of this size do not fit in
    /// `available` bytes, saying how much is needed, how much there is and what to change.
    public func requireFits(available: MachineMemory.Available, ranksHere: Int, config: Config) throws {
        let needed = totalBytes.multipliedReportingOverflow(by: max(1, ranksHere))
        guard needed.overflow || needed.partialValue > available.bytes else { return }
        let perRank = ranksHere > 1 ? " (\(ranksHere) ranks on this machine × \(Self.format(bytes: totalBytes)))" : ""
        let largest = [("parameters, gradients and optimizer state", parameterBytes + gradientBytes + optimizerBytes),
                       ("activations", activationBytes), ("data", dataBytes)].max { $0.1 < $1.1 }!
        let advice = largest.0 == "activations"
            ? "lower train.batch_size (now \(config.train.batchSize)) or train.eval_batch_size (now \(config.train.evalBatchSize)), "
                + "raise train.accumulate_steps (now \(config.train.accumulateSteps): the same batch in smaller pieces), or use a smaller model"
            : largest.0 == "data" ? "use a smaller data set (data.train_subset) or fewer ranks per machine"
            : "use a smaller model (model.hidden, model.conv, model.hidden_size, model.width, model.layers)"
        throw UserError("the run needs about \(needed.overflow ? "more than 8 EiB" : Self.format(bytes: needed.partialValue))"
                        + "\(perRank) but this machine has \(Self.format(bytes: available.bytes)) available (\(available.source)); "
                        + "the largest part is \(largest.0): \(summary). To fit, \(advice)")
    }
}

/// The memory this process may use: MemAvailable from /proc/meminfo, or the cgroup's limit
/// (minus what the cgroup already uses) when that is lower.
public enum MachineMemory {
    /// An amount of memory and where it was read.
    public struct Available: Sendable, Equatable {
        /// Bytes available.
        public var bytes: Int
        /// "MemAvailable in /proc/meminfo", "cgroup limit /sys/fs/cgroup/memory.max".
        public var source: String
        /// An amount.
        public init(bytes: Int, source: String) { self.bytes = bytes; self.source = source }
    }

    /// What is available now; nil when neither source can be read (the check is then skipped).
    public static func available(meminfo: String = "/proc/meminfo", cgroup: String = "/sys/fs/cgroup") -> Available? {
        var best: Available?
        if let text = try? String(contentsOfFile: meminfo, encoding: .utf8),
           let kib = parseMemAvailable(text) {
            best = Available(bytes: kib.multipliedReportingOverflow(by: 1024).partialValue, source: "MemAvailable in \(meminfo)")
        }
        if let limitText = try? String(contentsOfFile: cgroup + "/memory.max", encoding: .utf8),
           let limit = Int(limitText.trimmingCharacters(in: .whitespacesAndNewlines)) {
            let used = (try? String(contentsOfFile: cgroup + "/memory.current", encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            let free = max(0, limit - used)
            if best == nil || free < best!.bytes {
                best = Available(bytes: free, source: "cgroup limit \(cgroup)/memory.max less memory.current")
            }
        }
        return best
    }

    /// The `MemAvailable:` figure of /proc/meminfo, in KiB.
    static func parseMemAvailable(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// How many ranks of this job run on this machine: Open MPI's local size, Slurm's tasks on
    /// this node, else 1.
    public static func ranksOnThisMachine(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        for key in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"] {
            if let n = environment[key].flatMap({ Int($0) }), n >= 1 { return n }
        }
        return 1
    }
}
