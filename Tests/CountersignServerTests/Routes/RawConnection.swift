import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP connection driven by hand with blocking calls, by one thread at a time.
final class RawConnection: @unchecked Sendable {
    struct Failure: Error { let what: String }
    let fd: Int32

    /// Runs `work` on a thread of its own, so its blocking calls never hold a thread of the
    /// concurrency pool the server's tasks need.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    init(port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo("localhost", String(port), &hints, &found) == 0, let first = found else { throw Failure(what: "resolve") }
        defer { freeaddrinfo(first) }
        var address: UnsafeMutablePointer<addrinfo>? = first
        var fd: Int32 = -1
        while let candidate = address, fd < 0 {
            fd = socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype, candidate.pointee.ai_protocol)
            if fd >= 0, connect(fd, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) != 0 {
                close(fd)
                fd = -1
            }
            address = candidate.pointee.ai_next
        }
        guard fd >= 0 else { throw Failure(what: "connect") }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw Failure(what: "send")
        }
    }

    /// What arrives until the server closes the connection or `seconds` pass without a byte.
    func receive(waiting seconds: Int) -> String {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// What arrives until `done` holds for it, the server closes the connection, or `seconds`
    /// pass without a byte: for a stream that stays open, read up to a mark that must come. A
    /// slow server makes this wait longer, never return before the mark.
    func receive(until done: (String) -> Bool, waiting seconds: Int) -> String {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(String(decoding: received, as: UTF8.self)) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// One whole HTTP answer (its head and the `Content-Length` bytes of its body), or what
    /// arrived before the server closed the connection or `seconds` passed without a byte. A
    /// slow server makes this wait longer, never return early with half an answer.
    func receiveAnswer(waiting seconds: Int) -> String {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !Self.isWholeAnswer(received) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    private static func isWholeAnswer(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("\r\n\r\n") else { return false }
        let (head, body) = text.httpHeadAndBody()
        let length = head.split(separator: "\r\n").lazy
            .compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
            .first
        return body.utf8.count >= (length ?? 0)
    }
}

extension String {
    /// An HTTP answer's head and body.
    func httpHeadAndBody() -> (head: String, body: String) {
        guard let range = range(of: "\r\n\r\n") else { return (self, "") }
        return (String(self[..<range.lowerBound]), String(self[range.upperBound...]))
    }
}
