import Foundation
import Testing

/// Convolutional training under mpirun: SyncBatchNorm makes N ranks compute what one rank
/// computes (batch statistics over the global batch), and early stopping is decided the same
/// on every rank.
extension DistributedTests {
    /// A small CNN with batch norm on the distributed fixture's data (global batch 96).
    static let cnnOverrides = ["--set", "model.kind=cnn", "--set", "model.conv=[4, 8]", "--set", "model.kernel_size=3",
                               "--set", "model.batch_norm=true", "--set", "model.hidden=[16]",
                               "--set", "train.max_steps=10"]

    /// Largest relative difference over all tensors of two checkpoints (parameters and buffers).
    func maxRelativeDifference(_ a: [String: [Float]], _ b: [String: [Float]]) throws -> (Float, String) {
        #expect(Set(a.keys) == Set(b.keys))
        var worst: (Float, String) = (0, "")
        for (name, x) in a {
            let y = try #require(b[name])
            let scale = max(x.reduce(0) { max($0, abs($1)) }, 1e-6)
            let d = zip(x, y).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
            if d > worst.0 { worst = (d, name) }
        }
        return worst
    }

    @Test("SyncBatchNorm: 2 ranks reach the parameters and running statistics of 1 rank")
    func syncBatchNormEqualsOneRank() throws {
        let scratch = try DistributedRun.scratchDirectory("syncbn")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let arguments = ["train", DistributedTests.fixtureConfig] + DistributedTests.cnnOverrides
        func run(_ ranks: Int?, sync: Bool, _ name: String) throws -> [String: [Float]] {
            let dir = scratch.appendingPathComponent(name)
            let job = try DistributedJob(ranks: ranks, arguments + ["--set", "model.sync_batchnorm=\(sync)",
                                                                    "--run-dir", dir.path]).wait(timeout: 90)
            try #require(job.status == 0, "\(name) exited \(job.status):\n\(job.output)")
            return try DistributedRun.finalParameters(dir)
        }
        let alone = try run(nil, sync: true, "local")
        #expect(alone.keys.contains("bn1.running_var"), "buffers are saved: \(alone.keys.sorted())")
        let synced = try run(2, sync: true, "np2-sync")
        let (difference, name) = try maxRelativeDifference(alone, synced)
        // Float sums in a different order: ~1e-6; a per-rank statistic would differ by ~1e-2.
        #expect(difference <= 1e-4, "with sync_batchnorm, max relative |N=2 − N=1| = \(difference) in \(name)")
        // Control: without synchronization each rank normalizes its own 48 samples, and the
        // running statistics (at least) differ — the test above can fail.
        let unsynced = try run(2, sync: false, "np2-local-bn")
        let (controlDifference, controlName) = try maxRelativeDifference(alone, unsynced)
        #expect(controlDifference > 1e-3, "without sync, N=2 still equals N=1 (\(controlDifference) in \(controlName))")
    }

    @Test("Early stopping stops every rank at the same epoch")
    func earlyStoppingUnderMPI() throws {
        let scratch = try DistributedRun.scratchDirectory("early")
        defer { try? FileManager.default.removeItem(at: scratch) }
        // 20 steps per epoch, 4 epochs; min_delta 10 means no epoch after the first improves,
        // so with patience 1 all ranks must stop together after epoch 2 (a rank that decided
        // alone would leave the others waiting in an all-reduce: the timeout catches that).
        let job = try DistributedJob(ranks: 2, ["train", DistributedTests.fixtureConfig,
                                                "--set", "train.max_steps=0", "--set", "train.epochs=4",
                                                "--set", "train.early_stopping.patience=1",
                                                "--set", "train.early_stopping.min_delta=10",
                                                "--run-dir", scratch.path]).wait(timeout: 90)
        try #require(job.status == 0, "exited \(job.status):\n\(job.output)")
        #expect(job.output.contains("early stopping"), "\(job.output)")
        let rows = DistributedRun.metricsRows(scratch)
        let valEpochs = rows.filter { $0["split"] as? String == "val" }.compactMap { $0["epoch"] as? Int }
        #expect(valEpochs == [1, 2], "validation rows for epochs \(valEpochs)")
        #expect(rows.last?["split"] as? String == "test" && rows.last?["step"] as? Int == 40, "last row \(rows.last ?? [:])")
    }
}
