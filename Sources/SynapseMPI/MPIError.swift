import CMPI
import Foundation

/// A failed MPI call, or an MPI call Synapse refused to make, as a thrown Swift error.
///
/// `MPICommunicator` sets `MPI_ERRORS_RETURN` on its communicator, so a failing collective
/// returns an error code instead of aborting every rank; this type carries that code, the
/// name of the MPI function, and Open MPI's own text for the code (`MPI_Error_string`).
/// Errors that Synapse detects before calling MPI (use after `finalize()`, a thread level
/// the library did not grant) have `code == nil`.
public struct MPIError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// The MPI function (or Synapse operation) that failed, e.g. `"MPI_Allreduce"`.
    public let operation: String
    /// The MPI error code returned by the call; `nil` when Synapse detected the problem itself.
    public let code: Int32?
    /// What went wrong, in words (Open MPI's message for `code`, or Synapse's explanation).
    public let message: String

    /// Wraps the error code an MPI call returned; the message comes from `MPI_Error_string`.
    public init(code: Int32, operation: String) {
        self.operation = operation
        self.code = code
        self.message = MPIError.errorString(for: code)
    }

    /// An error detected by Synapse itself before any MPI call was made.
    public init(operation: String, message: String) {
        self.operation = operation
        self.code = nil
        self.message = message
    }

    /// `"MPI_Allreduce failed: MPI_ERR_TRUNCATE: message truncated (MPI error 15)"`.
    public var description: String {
        if let code { return "\(operation) failed: \(message) (MPI error \(code))" }
        return "\(operation) failed: \(message)"
    }

    /// Same as `description`, so Foundation and swift-argument-parser print the full text.
    public var errorDescription: String? { description }

    /// Throws an `MPIError` unless `code` is `MPI_SUCCESS`.
    static func check(_ code: Int32, _ operation: String) throws {
        if code != cmpi_success() { throw MPIError(code: code, operation: operation) }
    }

    /// Open MPI's text for an error code. MPI_Error_string is callable before MPI_Init and
    /// after MPI_Finalize, so this never fails; an unknown code yields a generic message.
    private static func errorString(for code: Int32) -> String {
        let capacity = Int(cmpi_max_error_string())
        var buffer = [CChar](repeating: 0, count: capacity + 1)
        var length: Int32 = 0
        let rc = MPI_Error_string(code, &buffer, &length)
        guard rc == cmpi_success(), length > 0 else { return "unknown MPI error" }
        let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
