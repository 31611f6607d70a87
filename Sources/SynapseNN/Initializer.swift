import SynapseCore

/// Weight initialization schemes, with PyTorch's formulas (torch.nn.init).
public enum Initializer: String, Sendable, Codable, CaseIterable {
    /// PyTorch's default for Linear/Conv: uniform(±1/√fanIn) (kaiming_uniform, a = √5).
    case pytorchDefault = "default"
    /// He/Kaiming uniform for ReLU: uniform(±√(6/fanIn)). He et al., arXiv:1502.01852.
    case heUniform = "he_uniform"
    /// He/Kaiming normal for ReLU: N(0, 2/fanIn).
    case heNormal = "he_normal"
    /// Xavier/Glorot uniform: uniform(±√(6/(fanIn+fanOut))). Glorot & Bengio, AISTATS 2010.
    case xavierUniform = "xavier_uniform"
    /// Xavier/Glorot normal: N(0, 2/(fanIn+fanOut)).
    case xavierNormal = "xavier_normal"

    /// A weight tensor of `shape` initialized by this scheme.
    public func makeWeight(shape: [Int], fanIn: Int, fanOut: Int, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.pointer
        let fi = Float(fanIn), fo = Float(fanOut)
        switch self {
        case .pytorchDefault:
            let b = 1 / fi.squareRoot()
            for i in 0..<t.count { p[i] = rng.nextUniform(-b, b) }
        case .heUniform:
            let b = (6 / fi).squareRoot()
            for i in 0..<t.count { p[i] = rng.nextUniform(-b, b) }
        case .heNormal:
            let s = (2 / fi).squareRoot()
            for i in 0..<t.count { p[i] = s * rng.nextNormal() }
        case .xavierUniform:
            let b = (6 / (fi + fo)).squareRoot()
            for i in 0..<t.count { p[i] = rng.nextUniform(-b, b) }
        case .xavierNormal:
            let s = (2 / (fi + fo)).squareRoot()
            for i in 0..<t.count { p[i] = s * rng.nextNormal() }
        }
        return t
    }

    /// A bias vector with PyTorch's default: uniform(±1/√fanIn).
    public func makeBias(count: Int, fanIn: Int, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: [count])
        let b = 1 / Float(fanIn).squareRoot()
        for i in 0..<count { t.pointer[i] = rng.nextUniform(-b, b) }
        return t
    }
}
