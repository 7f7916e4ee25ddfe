import Foundation

/// Reads a file that has a size limit without reading past the limit: a regular file larger
/// than the limit is refused by its size before a byte is read, and any other file (a pipe,
/// a device, a file that grows meanwhile) at the first byte past it. Memory and time stay
/// bounded by the limit, whatever the file holds.
public enum LimitedFile {
    /// Why a file was not read.
    public enum Failure: Error, Sendable, Equatable {
        /// The file cannot be opened or read.
        case unreadable
        /// The file has more than the limit's bytes.
        case tooLarge
    }

    /// The bytes of the file at `path`, when there are at most `maxBytes` of them.
    public static func read(_ path: String, maxBytes: Int) throws(Failure) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable }
        defer { try? handle.close() }
        var status = stat()
        if fstat(handle.fileDescriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size > maxBytes {
            throw .tooLarge
        }
        var bytes: [UInt8] = []
        do {
            // A pipe gives its bytes in parts; an empty or nil part is the end.
            while bytes.count <= maxBytes, let part = try handle.read(upToCount: maxBytes + 1 - bytes.count), !part.isEmpty {
                bytes += part
            }
        } catch {
            throw .unreadable
        }
        guard bytes.count <= maxBytes else { throw .tooLarge }
        return bytes
    }
}
