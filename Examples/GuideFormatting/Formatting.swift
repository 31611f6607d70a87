// Number formatting shared by the guide's chapters (Examples/), so each chapter's file is
// about its subject. No Foundation needed.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats a number with `digits` decimals, e.g. fixed(-0.5, 3) = "-0.500".
public func fixed(_ v: Double, _ digits: Int = 4) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int((abs(v) * scale).rounded())
    var fraction = String(n % Int(scale))
    fraction = String(repeating: "0", count: digits - fraction.count) + fraction
    return (v < 0 && n != 0 ? "-" : "") + String(n / Int(scale)) + (digits > 0 ? "." + fraction : "")
}

/// Formats a list of numbers, each with `digits` decimals: "[0.5000, -1.2500]".
public func fixed(_ values: [Double], _ digits: Int = 4) -> String {
    "[" + values.map { fixed($0, digits) }.joined(separator: ", ") + "]"
}

/// Formats a non-negative number as "1.2e-05" (values that span many orders of magnitude:
/// small losses, tiny differences); "diverged" for NaN or infinity.
public func scientific(_ v: Double) -> String {
    guard v.isFinite else { return "diverged" }
    guard v > 0 else { return "0" }
    var exponent = Int(floor(log10(v)))
    var mantissa = (v / pow(10, Double(exponent)) * 10).rounded() / 10
    if mantissa >= 10 { mantissa /= 10; exponent += 1 }
    let e = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
    return fixed(mantissa, 1) + "e" + (exponent < 0 ? "-" : "+") + e
}

/// Pads `text` with spaces to `width` characters: on the right (`left`, the default), or on
/// the left (right-aligned).
public func pad(_ text: String, _ width: Int, left: Bool = true) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + fill : fill + text
}
