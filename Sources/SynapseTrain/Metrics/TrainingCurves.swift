import Foundation

/// Training curves of one or more runs as an SVG picture (any browser opens it): loss,
/// accuracy and learning rate against the optimizer step, training and validation side by
/// side, so over- and underfitting are visible at a glance.
///
/// Layout, top to bottom: a legend (one colour per run; solid = training, dashed =
/// validation, a diamond = the final test pass), then one panel per quantity, all sharing the
/// step axis. Training rows are means over a logging interval (`train.log_every` steps),
/// validation rows are passes at the end of an epoch. Non-finite values (a run that diverged)
/// break the line instead of bending the axis. The accuracy panel is left out when no run
/// logged an accuracy (regression losses).
public enum TrainingCurves {
    /// Picture width in pixels.
    static let width = 900.0
    /// Height of one panel's plotting area.
    static let plotHeight = 220.0
    /// Space left of the plotting area (tick labels) and right of it.
    static let left = 80.0, right = 24.0
    /// Space above a panel (its title) and below it (step labels).
    static let panelTop = 34.0, panelBottom = 40.0
    /// One colour per run (cycled after eight).
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// One quantity drawn in a panel.
    struct Quantity {
        let title: String
        /// The value a row contributes, nil when it has none.
        let value: (MetricsRow) -> Double?
        /// The splits drawn, as lines (train, val) or markers (test).
        let splits: [String]
    }

    /// The SVG document for `runs` (at least one), as text.
    public static func svg(_ runs: [MetricsFile]) -> String {
        precondition(!runs.isEmpty, "TrainingCurves.svg needs at least one run")
        var quantities = [Quantity(title: "Loss", value: { $0.loss }, splits: ["train", "val", "test"])]
        if runs.contains(where: { $0.rows.contains { $0.bitsPerChar != nil } }) {
            quantities.append(Quantity(title: "Bits per character", value: { $0.bitsPerChar }, splits: ["train", "val"]))
        }
        if runs.contains(where: { $0.rows.contains { $0.accuracy != nil } }) {
            quantities.append(Quantity(title: "Accuracy (%)", value: { $0.accuracy.map { $0 * 100 } },
                                       splits: ["train", "val", "test"]))
        }
        quantities.append(Quantity(title: "Learning rate", value: { $0.lr }, splits: ["train"]))

        let maxStep = runs.flatMap(\.rows).map(\.step).max() ?? 1
        let xTicks = niceTicks(0, Double(max(maxStep, 1)))
        let xAxis = Scale(domain: xTicks.first!...xTicks.last!, from: left, to: width - right)

        var svg = SVGWriter()
        let legendHeight = svg.legend(runs: runs.map(\.name), width: width)
        var top = legendHeight
        for quantity in quantities {
            panel(quantity, runs: runs, xAxis: xAxis, xTicks: xTicks, top: top, into: &svg)
            top += panelTop + plotHeight + panelBottom
        }
        return svg.document(width: width, height: top)
    }

    /// Draws one panel whose title baseline sits just below `top`.
    static func panel(_ q: Quantity, runs: [MetricsFile], xAxis: Scale, xTicks: [Double], top: Double,
                      into svg: inout SVGWriter) {
        let plotTop = top + panelTop, plotBottom = plotTop + plotHeight
        let values = runs.flatMap { run in run.rows.filter { q.splits.contains($0.split) }.compactMap(q.value) }
            .filter(\.isFinite)
        let yTicks = values.isEmpty ? [0, 1] : niceTicks(values.min()!, values.max()!)
        let yAxis = Scale(domain: yTicks.first!...yTicks.last!, from: plotBottom, to: plotTop)
        svg.text(q.title, x: left, y: top + 22, size: 15, anchor: "start", bold: true)
        let tickDecimals = decimals(forSpacing: yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1)
        for t in yTicks {
            let y = yAxis(t)
            svg.line(x1: left, y1: y, x2: width - right, y2: y, stroke: "#e0e0e0")
            svg.text(String(format: "%.\(tickDecimals)f", t), x: left - 8, y: y + 4, size: 12, anchor: "end")
        }
        for t in xTicks {
            let x = xAxis(t)
            svg.line(x1: x, y1: plotTop, x2: x, y2: plotBottom, stroke: "#f0f0f0")
            svg.text(String(Int(t.rounded())), x: x, y: plotBottom + 16, size: 12, anchor: "middle")
        }
        svg.text("step", x: width - right, y: plotBottom + 32, size: 12, anchor: "end")
        svg.rect(x: left, y: plotTop, width: width - right - left, height: plotHeight)

        for (index, run) in runs.enumerated() {
            let colour = palette[index % palette.count]
            for split in q.splits {
                let points = run.rows(split).map { row in (xAxis(Double(row.step)), q.value(row).map { yAxis($0) }) }
                if split == "test" {
                    for case let (x, y?) in points where y.isFinite { svg.diamond(x: x, y: y, fill: colour) }
                } else {
                    svg.polylines(points, stroke: colour, dashed: split == "val")
                }
            }
        }
    }

    /// Tick values 1, 2 or 5 × 10ⁿ apart that cover [lo, hi] with about `target` intervals
    /// (the first tick ≤ lo, the last ≥ hi). A zero-width range is widened to show its value.
    static func niceTicks(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
        var lo = lo, hi = hi
        if hi <= lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let rough = (hi - lo) / Double(target)
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let residual = rough / magnitude
        let step = (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude
        // The nudges keep 0.09 / 0.005 = 17.999999999999996 from adding a tick below 0.09.
        let first = (lo / step + 1e-9).rounded(.down), last = (hi / step - 1e-9).rounded(.up)
        return (0...Int(last - first)).map { (first + Double($0)) * step }
    }

    /// Digits after the decimal point that tell ticks `spacing` apart (0.2 → 1, 5e-4 → 4).
    static func decimals(forSpacing spacing: Double) -> Int {
        guard spacing > 0, spacing.isFinite else { return 0 }
        return max(0, Int((-log10(spacing)).rounded(.up)))
    }
}

/// A linear map from data values to pixels: `domain`'s lower end goes to pixel `from`, its
/// upper end to pixel `to` (for a vertical axis `from` is the bottom: SVG's y grows downwards).
struct Scale {
    let domain: ClosedRange<Double>
    let from: Double, to: Double

    /// The pixel for `value`.
    func callAsFunction(_ value: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        let t = span == 0 ? 0.5 : (value - domain.lowerBound) / span
        return from + t * (to - from)
    }
}
