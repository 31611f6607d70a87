import CBLAS

/// Which of OpenBLAS's CPU-specific kernel sets this process runs, and a better choice when
/// OpenBLAS guessed wrong.
///
/// A dynamic-arch OpenBLAS picks its kernels once, when the library is loaded, from the CPU
/// model number. A build older than the CPU does not know the model and falls back to its
/// generic SSE3 "Prescott" kernels: Debian 12's OpenBLAS 0.3.21 does this on Intel Sapphire
/// and Emerald Rapids (measured on this project's machines: sgemm 32 GFLOP/s with Prescott
/// against 120–145 GFLOP/s with the SkylakeX kernels the CPU can run; OpenBLAS issue 4267,
/// fixed for newer models in later releases). The cure is the environment variable
/// `OPENBLAS_CORETYPE`, read only at load time — so the `synapse` executable sets it and
/// re-executes itself before doing anything else (see `synapse`'s `KernelSelectionRestart`).
public enum BLASKernelSelection {
    /// The kernel set OpenBLAS chose in this process ("Prescott", "Haswell", "SkylakeX", ...).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Kernel sets that use neither AVX2 nor FMA: on a CPU that has both, one of these means
    /// OpenBLAS did not recognize the CPU (lower-cased, as compared).
    static let kernelsWithoutAVX2: Set<String> = [
        "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn",
        "dunnington", "nehalem", "sandybridge", "atom", "athlon", "opteron", "opteron_sse3",
        "barcelona", "bobcat",
    ]

    /// The `OPENBLAS_CORETYPE` to force, or nil when the detected kernels already suit the CPU.
    ///
    /// Only a detection that fell back below AVX2 on a CPU with AVX2 and FMA is corrected:
    /// to "SkylakeX" when the CPU has the AVX-512 subsets those kernels use (F, DQ, BW, VL),
    /// else to "Haswell". A CPU OpenBLAS does know (Haswell kernels on an AMD Zen, say) is left
    /// alone.
    /// - Parameters:
    ///   - detected: the kernel set OpenBLAS chose (`coreName`).
    ///   - cpuFlags: the CPU's feature flags, as in /proc/cpuinfo ("avx2", "fma", "avx512f", ...).
    public static func betterCoreType(detected: String, cpuFlags: Set<String>) -> String? {
        guard kernelsWithoutAVX2.contains(detected.lowercased()),
              cpuFlags.isSuperset(of: ["avx2", "fma"]) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"]) { return "SkylakeX" }
        return "Haswell"
    }

    /// The feature flags of the first processor listed in a /proc/cpuinfo text (empty when
    /// there is no `flags` line, e.g. on Arm).
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
