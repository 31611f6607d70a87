import Testing
import SynapseCore

/// When Synapse overrides OpenBLAS's kernel choice, and to what.
@Suite struct BLASKernelSelectionTests {
    let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"]

    @Test func genericKernelsOnAModernCPUAreReplaced() {
        // Debian 12's OpenBLAS 0.3.21 on an Emerald Rapids Xeon: Prescott kernels.
        #expect(BLASKernelSelection.betterCoreType(detected: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASKernelSelection.betterCoreType(detected: "Nehalem", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASKernelSelection.betterCoreType(detected: "Sandybridge", cpuFlags: ["avx", "avx2", "fma"]) == "Haswell")
        // AVX-512 F alone is not what the SkylakeX kernels need.
        #expect(BLASKernelSelection.betterCoreType(detected: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
    }

    @Test func fittingKernelsAndOldCPUsAreLeftAlone() {
        #expect(BLASKernelSelection.betterCoreType(detected: "SkylakeX", cpuFlags: avx512) == nil)
        #expect(BLASKernelSelection.betterCoreType(detected: "Haswell", cpuFlags: avx512) == nil)   // e.g. AMD Zen
        #expect(BLASKernelSelection.betterCoreType(detected: "Zen", cpuFlags: avx512) == nil)
        // A CPU without AVX2/FMA really is a Prescott-class machine.
        #expect(BLASKernelSelection.betterCoreType(detected: "Prescott", cpuFlags: ["sse3", "avx"]) == nil)
        #expect(BLASKernelSelection.betterCoreType(detected: "Prescott", cpuFlags: []) == nil)
    }

    @Test func flagsAreReadFromCPUInfo() {
        let cpuinfo = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        flags\t\t: fpu sse3 avx2 fma avx512f
        bugs\t\t: spectre_v1

        processor\t: 1
        flags\t\t: fpu
        """
        #expect(BLASKernelSelection.cpuFlags(cpuinfo: cpuinfo) == ["fpu", "sse3", "avx2", "fma", "avx512f"])
        #expect(BLASKernelSelection.cpuFlags(cpuinfo: "processor : 0\nFeatures : fp asimd") == [])
    }

    @Test func thisProcessReportsAKernelSet() {
        #expect(!BLASKernelSelection.coreName.isEmpty)
    }
}
