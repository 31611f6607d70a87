#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Reads whole files that may be gzip-compressed, as the MNIST-style datasets ship
/// (`train-images-idx3-ubyte.gz`) or as users unpack them (`train-images-idx3-ubyte`).
///
/// The file is streamed through zlib's `inflate` in fixed-size chunks, so the compressed bytes
/// are never all in memory; the output array is reserved once from the size recorded in the
/// gzip trailer, so decompressing the 47 MB Fashion-MNIST training images costs 47 MB, not two
/// or three times that.
///
/// Reference: RFC 1952 (gzip file format); zlib manual, `inflateInit2` (windowBits 15 + 32
/// detects the gzip header and checks the CRC-32 and length in the trailer).
public enum Gzip {
    /// The two bytes every gzip member starts with.
    public static let magic: (UInt8, UInt8) = (0x1f, 0x8b)

    /// Whether `bytes` starts with the gzip magic number.
    public static func hasMagic(_ bytes: some Collection<UInt8>) -> Bool {
        var it = bytes.makeIterator()
        return it.next() == magic.0 && it.next() == magic.1
    }

    /// The contents of the file at `path`, decompressed when it is gzip (starts with `1f 8b`),
    /// as is otherwise.
    ///
    /// - Throws: `DataError.fileNotFound` (no such file), `.unreadableFile` (a directory, no
    ///   permission, I/O error), `.corruptGzip` (bad data, CRC mismatch, cut short, trailing
    ///   bytes that are not another gzip member).
    ///
    /// - Parameters:
    ///   - path: the file, gzip-compressed or not.
    ///   - limit: given the first bytes of the contents (more on each call, until it
    ///     returns a limit), the size the contents may have at most, as the format's header
    ///     declares it; nil while the header is incomplete. Decompression stops as soon as the
    ///     output passes the limit (a "decompression bomb" is not inflated to the end), and an
    ///     uncompressed file larger than the limit is refused before it is read.
    public static func readFile(atPath path: String, limit: ((ArraySlice<UInt8>) throws -> SizeLimit?)? = nil) throws -> [UInt8] {
        let file = try OpenFile(path: path)
        var head = [UInt8](repeating: 0, count: 2)
        let headCount = try file.read(into: &head, at: 0)
        if headCount == 2 && hasMagic(head) {
            return try inflateFile(file, limit: limit)
        }
        if let limit {
            var start = [UInt8](repeating: 0, count: min(file.size, 4096))
            let n = try file.read(into: &start, at: 0)
            if let bound = try limit(start[..<n]), file.size > bound.bytes {
                throw bound.error(file.size)
            }
        }
        return try file.readAll()
    }

    /// The most bytes a file's contents may have, and the error for contents that have more.
    public struct SizeLimit {
        /// The largest size allowed.
        public var bytes: Int
        /// The error for contents of (at least) the given size.
        public var error: (Int) -> DataError
        /// A limit.
        public init(bytes: Int, error: @escaping (Int) -> DataError) {
            self.bytes = bytes
            self.error = error
        }
    }

    /// Decompresses a whole gzip file (one or more concatenated members).
    private static func inflateFile(_ file: OpenFile, limit: ((ArraySlice<UInt8>) throws -> SizeLimit?)?) throws -> [UInt8] {
        let path = file.path
        var output: [UInt8] = []
        var bound: SizeLimit? = nil
        let reservation = try expectedSize(file)
        if limit == nil { output.reserveCapacity(reservation) }

        var stream = z_stream()
        let windowBits: Int32 = 15 + 32  // 32 KiB window, accept gzip or zlib headers
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.unreadableFile(path: path, reason: "zlib could not start (out of memory?)")
        }
        defer { inflateEnd(&stream) }

        let chunk = 1 << 18  // 256 KiB in and out; reused for the whole file
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { input.deallocate(); out.deallocate() }

        var offset = 0             // bytes of the file handed to zlib so far
        var memberEnded = false    // the last member seen ended cleanly (CRC and length checked)
        while true {
            let n = try file.read(into: input, count: chunk, at: offset)
            if n == 0 { break }
            stream.next_in = input
            stream.avail_in = UInt32(n)
            let chunkStart = offset
            offset += n
            repeat {
                let position = chunkStart + (n - Int(stream.avail_in))
                if memberEnded {
                    if stream.avail_in == 0 { break }
                    // Bytes after a complete member: only another gzip member may follow.
                    var next = [UInt8](repeating: 0, count: 2)
                    guard try file.read(into: &next, at: position) == 2, hasMagic(next) else {
                        throw DataError.corruptGzip(path: path, reason:
                            "\(file.size - position) bytes after the end of the compressed data at "
                            + "byte offset \(position) are not another gzip member")
                    }
                    inflateReset(&stream)
                    memberEnded = false
                }
                stream.next_out = out
                stream.avail_out = UInt32(chunk)
                let status = inflate(&stream, Z_NO_FLUSH)
                let produced = chunk - Int(stream.avail_out)
                if produced > 0 {
                    output.append(contentsOf: UnsafeBufferPointer(start: out, count: produced))
                    if bound == nil, let limit, let found = try limit(output[...]) {
                        bound = found
                        output.reserveCapacity(min(reservation, found.bytes))
                    }
                    if let bound, output.count > bound.bytes { throw bound.error(output.count) }
                }
                switch status {
                case Z_OK, Z_BUF_ERROR:
                    continue
                case Z_STREAM_END:
                    memberEnded = true
                case Z_DATA_ERROR, Z_NEED_DICT:
                    let detail = stream.msg.map { String(cString: $0) } ?? "invalid compressed data"
                    throw DataError.corruptGzip(path: path, reason:
                        "\(detail), within the \(n) bytes from byte offset \(chunkStart)")
                case Z_MEM_ERROR:
                    throw DataError.unreadableFile(path: path, reason: "out of memory while decompressing")
                default:
                    throw DataError.corruptGzip(path: path, reason: "zlib status \(status)")
                }
            } while stream.avail_in > 0 || stream.avail_out == 0  // input left, or output pending
        }
        guard memberEnded else {
            throw DataError.corruptGzip(path: path, reason:
                "the file ends after \(offset) bytes, before the end of the compressed data "
                + "(\(output.count) bytes decompressed so far)")
        }
        return output
    }

    /// The uncompressed size recorded in the last member's trailer (ISIZE, RFC 1952 §2.3.1),
    /// used only to reserve memory. Capped by deflate's maximum ratio so a damaged trailer
    /// cannot make us reserve gigabytes.
    private static func expectedSize(_ file: OpenFile) throws -> Int {
        guard file.size >= 18 else { return 0 }
        var trailer = [UInt8](repeating: 0, count: 4)
        guard try file.read(into: &trailer, at: file.size - 4) == 4 else { return 0 }
        let isize = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
        return min(isize, file.size * 1032)
    }
}

/// A file opened for reading with POSIX calls, closed when this goes away.
final class OpenFile {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw DataError.fileNotFound(path: path) }
            throw DataError.unreadable(path: path, code: code)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw DataError.unreadableFile(path: path, reason: String(cString: strerror(code)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DataError.unreadableFile(path: path, reason: "not a regular file")
        }
        self.fd = fd
        self.size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// Reads up to `count` bytes at file offset `offset` into `buffer`; returns how many were
    /// read (fewer only at the end of the file).
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Fills as much of `bytes` as the file has from `offset`; returns how many were read.
    func read(into bytes: inout [UInt8], at offset: Int) throws -> Int {
        try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: $0.count, at: offset) }
    }

    /// The whole file in one allocation.
    func readAll() throws -> [UInt8] {
        let expected = size
        let bytes = try [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized in
            initialized = try read(into: buffer.baseAddress!, count: expected, at: 0)
        }
        guard bytes.count == expected else {
            throw DataError.unreadableFile(path: path, reason:
                "the file shrank while being read (\(bytes.count) of \(expected) bytes)")
        }
        return bytes
    }
}
