import Foundation

/// Builds an SVG document element by element: the few shapes `TrainingCurves` draws, with
/// coordinates rounded to 0.1 px and text escaped for XML.
struct SVGWriter {
    private(set) var elements: [String] = []

    /// The finished document, `width` × `height` pixels on a white background.
    func document(width: Double, height: Double) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(px(width))" height="\(px(height))" \
        viewBox="0 0 \(px(width)) \(px(height))" font-family="Helvetica, Arial, sans-serif">
        <rect x="0" y="0" width="\(px(width))" height="\(px(height))" fill="white"/>

        """ + elements.joined(separator: "\n") + "\n</svg>\n"
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) {
        elements.append("<line x1=\"\(px(x1))\" y1=\"\(px(y1))\" x2=\"\(px(x2))\" y2=\"\(px(y2))\" stroke=\"\(stroke)\"/>")
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double) {
        elements.append("<rect x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(px(width))\" height=\"\(px(height))\" "
                        + "fill=\"none\" stroke=\"#888\"/>")
    }

    mutating func text(_ text: String, x: Double, y: Double, size: Int, anchor: String, bold: Bool = false) {
        let weight = bold ? " font-weight=\"bold\"" : ""
        elements.append("<text x=\"\(px(x))\" y=\"\(px(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\"\(weight)>"
                        + "\(escaped(text))</text>")
    }

    /// A small filled diamond centred on (x, y): the marker of a single value (the test pass).
    mutating func diamond(x: Double, y: Double, fill: String) {
        let r = 6.0
        elements.append("<polygon points=\"\(px(x)),\(px(y - r)) \(px(x + r)),\(px(y)) \(px(x)),\(px(y + r)) "
                        + "\(px(x - r)),\(px(y))\" fill=\"\(fill)\" stroke=\"black\" stroke-width=\"0.8\"/>")
    }

    /// Lines through consecutive points; a point without a finite y ends one line, and the
    /// next finite point starts another (a single point is drawn as a dot).
    mutating func polylines(_ points: [(x: Double, y: Double?)], stroke: String, dashed: Bool) {
        var run: [(Double, Double)] = []
        func flush(_ svg: inout SVGWriter) {
            if run.count == 1 {
                svg.elements.append("<circle cx=\"\(px(run[0].0))\" cy=\"\(px(run[0].1))\" r=\"2.5\" fill=\"\(stroke)\"/>")
            } else if run.count > 1 {
                let coordinates = run.map { "\(px($0.0)),\(px($0.1))" }.joined(separator: " ")
                let dash = dashed ? " stroke-dasharray=\"7 4\"" : ""
                svg.elements.append("<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(stroke)\" "
                                    + "stroke-width=\"1.8\"\(dash)/>")
            }
            run.removeAll()
        }
        for point in points {
            if let y = point.y, y.isFinite { run.append((point.x, y)) } else { flush(&self) }
        }
        flush(&self)
    }

    /// The legend: which line style is which split, then one colour swatch per run, flowing
    /// onto new rows when wider than `width`. Returns the height it takes.
    mutating func legend(runs: [String], width: Double) -> Double {
        var y = 22.0
        line(x1: 20, y1: y - 4, x2: 50, y2: y - 4, stroke: "#333")
        text("training (mean over each logging interval)", x: 56, y: y, size: 12, anchor: "start")
        elements.append("<line x1=\"330\" y1=\"\(px(y - 4))\" x2=\"360\" y2=\"\(px(y - 4))\" stroke=\"#333\" stroke-dasharray=\"7 4\"/>")
        text("validation", x: 366, y: y, size: 12, anchor: "start")
        diamond(x: 450, y: y - 4, fill: "#333")
        text("test", x: 462, y: y, size: 12, anchor: "start")
        y += 22
        var x = 20.0
        for (index, name) in runs.enumerated() {
            let itemWidth = 34 + 7.5 * Double(name.count)
            if x + itemWidth > width - 20 && x > 20 {
                x = 20
                y += 20
            }
            let colour = TrainingCurves.palette[index % TrainingCurves.palette.count]
            elements.append("<rect x=\"\(px(x))\" y=\"\(px(y - 11))\" width=\"22\" height=\"12\" fill=\"\(colour)\"/>")
            text(name, x: x + 28, y: y, size: 13, anchor: "start")
            x += itemWidth + 16
        }
        return y + 8
    }
}

/// A coordinate rounded to 0.1 px ("12.3", "400.0").
private func px(_ value: Double) -> String {
    String((value * 10).rounded() / 10)
}

/// `text` with XML's special characters replaced by entities.
private func escaped(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}
