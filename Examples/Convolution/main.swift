// Convolution — a small window that slides over an image, and how it becomes a matrix product.
//
// Run: swift run -c release Convolution [FASHION_MNIST_DIRECTORY]
//
// A `Linear` layer connects every input to every output. For images that is wasteful and
// blind to geometry: a 28×28 image has 784 inputs, and a pattern (an edge, a corner) means
// the same thing wherever it appears. A convolution layer instead slides one small grid of
// weights, the KERNEL (or filter), over the image; at each position it multiplies the kernel
// with the pixels under it and adds them up:
//
//     out[i, j] = Σₐ Σ_b kernel[a, b] · image[i + a − p, j + b − p]      (p = padding)
//
// Nine weights for a 3×3 kernel, shared by every position. (Deep-learning libraries do not
// flip the kernel, so strictly this is a cross-correlation; learned kernels don't care.)
//
// This chapter computes one convolution by hand, then with Synapse's `conv2d`; shows the
// im2col trick that turns a convolution into ONE matrix product (how conv2d runs fast);
// does max pooling by hand and with `maxPool2d`; and trains a small CNN on Fashion-MNIST.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SynapseCore
import SynapseData
import SynapseNN
import SynapseOptim

/// Formats a number in a cell of `width` characters: integers without decimals, others with two.
func cell(_ v: Float, width: Int = 4) -> String {
    var text: String
    if v == v.rounded() {
        text = String(Int(v))
    } else {
        let n = Int((abs(v) * 100).rounded())
        let fraction = n % 100 < 10 ? "0\(n % 100)" : "\(n % 100)"
        text = (v < 0 ? "-" : "") + "\(n / 100).\(fraction)"
    }
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

/// Prints a row-major grid of `rows` rows, each line indented and prefixed by `label` on the
/// first line.
func printGrid(_ label: String, _ values: [Float], rows: Int, width: Int = 4) {
    let columns = values.count / rows
    for r in 0..<rows {
        let prefix = r == 0 ? label : String(repeating: " ", count: label.count)
        let line = (0..<columns).map { cell(values[r * columns + $0], width: width) }.joined()
        print("   \(prefix)\(line)")
    }
}

/// Formats a percentage with one decimal.
func percent(_ fraction: Double) -> String {
    let tenths = Int((fraction * 1000).rounded())
    return "\(tenths / 10).\(tenths % 10) %"
}

// MARK: - 1. A convolution by hand

// A 5×5 image: a bright 3×3 square on a dark background.
let H = 5, W = 5
let image: [Float] = [
    0, 0, 0, 0, 0,
    0, 1, 1, 1, 0,
    0, 1, 1, 1, 0,
    0, 1, 1, 1, 0,
    0, 0, 0, 0, 0,
]
// The Sobel kernel for vertical edges: right column minus left column, the middle row
// weighted twice. Where brightness rises from left to right it answers positive, where it
// falls negative, and on a flat region (all 0 or all 1) exactly 0.
let kH = 3, kW = 3
let sobel: [Float] = [
    -1, 0, 1,
    -2, 0, 2,
    -1, 0, 1,
]
// Padding 1 surrounds the image with a ring of zeros, so the 3×3 window can be centred on
// every pixel and the output stays 5×5: Hout = H + 2·padding − kH + 1 = 5 + 2 − 3 + 1 = 5.
let padding = 1
let Hout = H + 2 * padding - kH + 1, Wout = W + 2 * padding - kW + 1

var byHand = [Float](repeating: 0, count: Hout * Wout)   // [Hout, Wout]
for i in 0..<Hout {
    for j in 0..<Wout {
        var total: Float = 0
        for a in 0..<kH {
            for b in 0..<kW {
                let r = i + a - padding, c = j + b - padding   // the pixel under kernel tap (a, b)
                if r < 0 || r >= H || c < 0 || c >= W { continue }   // padding: a zero, adds nothing
                total += sobel[a * kW + b] * image[r * W + c]
            }
        }
        byHand[i * Wout + j] = total
    }
}

print("1. A convolution by hand: 5×5 image, 3×3 Sobel kernel, padding 1")
print("-----------------------------------------------------------------")
printGrid("image  ", image, rows: H)
print()
printGrid("kernel ", sobel, rows: kH)
print()
printGrid("output ", byHand, rows: Hout)
// Check one by hand: out[2, 1] is centred on image[2, 1] (left side of the square). Under
// the kernel: left column 0, 0, 0 and right column 1, 1, 1, so 1·1 + 2·1 + 1·1 = 4.
print("   out[2, 1] = (−1·0 + 1·1) + (−2·0 + 2·1) + (−1·0 + 1·1) = \(cell(byHand[2 * Wout + 1], width: 1))"
      + "   (rising edge: positive)")
print("   An edge lies BETWEEN two pixels, so the pixels on both sides of it respond: columns 0")
print("   and 1 (rising, +), 3 and 4 (falling, −); the flat middle column gives 0. Away from the")
print("   middle row the window overlaps fewer rows of the square: ±3 in rows 1 and 3, ±1 in 0 and 4.")

// MARK: - 2. The same with Synapse's conv2d

// conv2d works on batches of multi-channel images: x [N, Cin, H, W] and a bank of Cout
// filters, weight [Cout, Cin, kH, kW]. Here N = 1 image, Cin = 1 channel, Cout = 1 filter.
let x = Tensor(shape: [1, 1, H, W], values: image)            // [N = 1, Cin = 1, 5, 5]
let kernel = Tensor(shape: [1, 1, kH, kW], values: sobel)     // [Cout = 1, Cin = 1, 3, 3]
let y = conv2d(x, weight: kernel, padding: Size2D(padding))   // [1, 1, 5, 5]
print()
print("2. The same with conv2d(x [1, 1, 5, 5], weight [1, 1, 3, 3], padding: 1) → \(y.shape)")
print("----------------------------------------------------------------------------------")
printGrid("output ", y.scalars, rows: Hout)
print("   conv2d equals the hand computation: \(y.scalars == byHand ? "yes" : "NO")")

// MARK: - 3. im2col: a convolution is one matrix product

// Sliding a window is slow to do directly: many tiny loops, little arithmetic each. The
// trick every fast library uses is im2col ("image to columns"): copy the pixels under the
// window at each output position into one COLUMN of a matrix. The K = Cin·kH·kW pixels of
// a window become a column; there is one column per output position P = Hout·Wout. Then
// every filter, flattened to a row of K weights, meets every window in one matrix product:
//
//     output [Cout, P] = weight [Cout, K] · columns [K, P]
//
// which BLAS computes at close to the machine's peak speed. The price is memory: each
// pixel is copied up to kH·kW times.
//
// A 4×4 image numbered 1…16 shows where each pixel goes (no padding, so Hout = Wout = 2,
// P = 4 windows, K = 9 taps).
let small: [Float] = (1...16).map(Float.init)                    // [1, 4, 4]
let geometry = ConvGeometry(channels: 1, height: 4, width: 4, kernel: 3)
let columns = Tensor(uninitializedShape: [geometry.patchSize, geometry.outputPixels])   // [K = 9, P = 4]
small.withUnsafeBufferPointer { im2col($0.baseAddress!, geometry: geometry, columns: columns.pointer) }

print()
print("3. im2col: the 4×4 image below becomes a [9, 4] matrix, one column per 3×3 window")
print("---------------------------------------------------------------------------------")
printGrid("image   ", small, rows: 4)
print()
printGrid("columns ", columns.scalars, rows: geometry.patchSize)
print("   Column 0 is the top-left window, read row by row: 1 2 3, 5 6 7, 9 10 11.")
print("   Row (a, b) of the matrix holds kernel tap (a, b)'s pixel for every window.")

// A 3×3 "box" kernel of ones sums its window. As a row of 9 weights it multiplies the
// columns: [1, 9] · [9, 4] = [1, 4], the 2×2 output, in one product.
let box = Tensor(shape: [1, 1, 3, 3], repeating: 1)                                 // [1, 1, 3, 3]
let asProduct = matmul(box.reshaped(to: [1, geometry.patchSize]), columns)          // [1, 9]·[9, 4] = [1, 4]
let asConvolution = conv2d(Tensor(shape: [1, 1, 4, 4], values: small), weight: box)   // [1, 1, 2, 2]
print()
print("   box kernel (all ones) as a row [1, 9] times columns [9, 4]:")
printGrid("weight·columns = ", asProduct.scalars, rows: 1)
printGrid("conv2d         = ", asConvolution.scalars, rows: 1)
print("   Each window's sum is 9 × its centre pixel (6, 7, 10, 11) on this evenly rising image.")
print("   The 5×5 Sobel example of section 1 works the same way: columns [9, 25] (padding")
print("   pixels enter as zeros); LeNet-5's second layer (6 channels in, 5×5 kernels, 10×10")
print("   output): [150, 100].")

// MARK: - 4. Max pooling by hand and with maxPool2d

// Pooling shrinks a feature map: a 2×2 window with stride 2 keeps the LARGEST of each four
// values, halving the height and width. The network keeps "an edge is here, roughly",
// becomes a little insensitive to small shifts, and later layers see a wider area for the
// same cost.
let poolInput: [Float] = [
    1, 3, 2, 0,
    4, 2, 1, 5,
    0, 6, 3, 1,
    2, 1, 7, 4,
]
var pooledByHand = [Float](repeating: 0, count: 4)   // [2, 2]
for i in 0..<2 {
    for j in 0..<2 {
        var best = -Float.infinity
        for a in 0..<2 { for b in 0..<2 { best = max(best, poolInput[(2 * i + a) * 4 + 2 * j + b]) } }
        pooledByHand[i * 2 + j] = best
    }
}
let poolX = Tensor(shape: [1, 1, 4, 4], values: poolInput, requiresGrad: true)   // [1, 1, 4, 4]
let pooled = maxPool2d(poolX, kernelSize: 2)                                        // [1, 1, 2, 2]

// Backward: only the maximum of each window influenced the output, so the whole gradient
// goes to it and the other three get 0 (the library saved where each maximum was).
sum(pooled).backward()

print()
print("4. Max pooling, 2×2 windows, stride 2")
print("-------------------------------------")
printGrid("input     ", poolInput, rows: 4)
print()
printGrid("by hand   ", pooledByHand, rows: 2)
printGrid("maxPool2d ", pooled.scalars, rows: 2)
print("   maxPool2d equals the hand computation: \(pooled.scalars == pooledByHand ? "yes" : "NO")")
print()
printGrid("gradient  ", poolX.grad!.scalars, rows: 4)
print("   ∂(sum of outputs)/∂input: 1 where each window's maximum was, 0 elsewhere.")

// MARK: - 5. A small CNN on Fashion-MNIST

// Two rounds of convolution → ReLU → pooling, then one Linear layer that reads the final
// feature maps. The shapes, for a batch of N images:
//
//   [N, 1, 28, 28] → Conv 3×3 pad 1, 8 filters  → [N, 8, 28, 28] → ReLU → MaxPool 2 → [N, 8, 14, 14]
//                  → Conv 3×3 pad 1, 16 filters → [N, 16, 14, 14] → ReLU → MaxPool 2 → [N, 16, 7, 7]
//                  → Flatten → [N, 784] → Linear → [N, 10] class scores
//
// 80 + 1,168 + 7,850 = 9,098 weights in all: fewer than ONE 784 → 12 Linear layer, because
// the convolutions share their weights across positions. To keep this chapter quick it
// trains on 4,000 images for 2 epochs.
print()
print("5. A small CNN on Fashion-MNIST")
print("-------------------------------")
// The files' directory: the first argument, else where Debian's dataset-fashion-mnist puts them.
let dataDirectory = CommandLine.arguments.dropFirst().first ?? FashionMNIST.defaultDirectory
let trainSet: ImageDataset, testSet: ImageDataset
do {
    trainSet = try FashionMNIST.load(directory: dataDirectory, split: .train).prefix(4000)
    testSet = try FashionMNIST.load(directory: dataDirectory, split: .test).prefix(2000)
} catch let error as DataError {
    // The data is a Debian package that may not be installed: the chapter's first four
    // sections stand on their own, so say why this part is skipped and finish normally.
    print("   Skipped: Fashion-MNIST is not in \(dataDirectory) (pass its directory as the first argument).")
    print("   \(error)")
    exit(0)
}

var rng = RandomGenerator(seed: 42, stream: RandomGenerator.Stream.initialization)
let model = Sequential(
    Conv2d(inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1, rng: &rng),    // [N, 8, 28, 28]
    ReLU(),
    MaxPool2d(kernelSize: 2),                                                       // [N, 8, 14, 14]
    Conv2d(inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1, rng: &rng),   // [N, 16, 14, 14]
    ReLU(),
    MaxPool2d(kernelSize: 2),                                                       // [N, 16, 7, 7]
    Flatten(),                                                                      // [N, 784]
    Linear(inputSize: 16 * 7 * 7, outputSize: 10, rng: &rng))                       // [N, 10]
print("   \(model.parameterCount) parameters; training on \(trainSet.count) images, testing on \(testSet.count)")

// Pixels 0…255 become (p/255 − mean)/std with the TRAINING images' statistics.
let normalization = try Normalization(fittedTo: trainSet)
let trainLoader = try DataLoader(dataset: trainSet, sampler: DistributedSampler(indices: Array(0..<trainSet.count), seed: 42),
                                 batchSize: 50, normalization: normalization, layout: .image)
let testLoader = try DataLoader(dataset: testSet,
                                sampler: DistributedSampler(indices: Array(0..<testSet.count), shuffle: false),
                                batchSize: 500, normalization: normalization, layout: .image)
let arena = ParameterArena(parameters: model.namedParameters())
let optimizer = try Adam(arena: arena, learningRate: 2e-3)

/// The fraction of the loader's images whose highest class score is the right class.
func accuracy(of model: Module, on loader: DataLoader) -> Double {
    model.eval()
    defer { model.train() }
    var correct = 0
    for batch in loader.batches(epoch: 0) {
        let scores = noGrad { model(batch.inputs) }.scalars   // [B, 10]
        for (n, label) in batch.labels.enumerated() {
            let row = scores[(n * 10)..<(n * 10 + 10)]
            if row.firstIndex(of: row.max()!)! - n * 10 == Int(label) { correct += 1 }
        }
    }
    return Double(correct) / Double(loader.dataset.count)
}

print("   before training: test accuracy \(percent(accuracy(of: model, on: testLoader)))   (10 classes: chance is 10 %)")
for epoch in 0..<2 {
    var totalLoss: Float = 0
    for batch in trainLoader.batches(epoch: epoch) {
        arena.zeroGrads()
        let loss = crossEntropy(logits: model(batch.inputs), labels: batch.labels)   // batch.inputs [50, 1, 28, 28]
        loss.backward()
        optimizer.step()
        totalLoss += loss.item()
    }
    let meanLoss = Double(totalLoss) / Double(trainLoader.batchCount)
    print("   epoch \(epoch + 1): mean training loss \(cell(Float(meanLoss), width: 1)), test accuracy \(percent(accuracy(of: model, on: testLoader)))")
}
print()
print("On all 60,000 images, configs/fashion-cnn.yaml (two wider conv layers, 83,562 weights)")
print("reaches about 93 % with the `synapse` tool, above the 89.5 % of the fully connected MLP")
print("in configs/fashion-mlp.yaml with 235,146 weights: sharing weights across positions pays.")
