extension ImageDataset {
    /// The first `n` samples (all of them when `n` ≥ count), e.g. for a quick run on a subset.
    public func prefix(_ n: Int) -> ImageDataset {
        let k = max(0, min(n, count))
        return ImageDataset(images: Array(images[..<(k * featureCount)]), labels: Array(labels[..<k]),
                            imageShape: imageShape, classNames: classNames)
    }
}
