/// Why a store operation failed, in terms a caller can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The row already exists (for example a client id that is taken).
    case conflict(String)
    /// The store cannot serve now (busy, locked, disk full, connection lost): answer 503.
    case unavailable(String)
    /// The data on disk is not what this version expects.
    case corrupt(String)
    /// The row to change does not exist.
    case notFound(String)

    /// The error as the CLI and the logs show it.
    public var description: String {
        switch self {
        case .conflict(let m): m
        case .unavailable(let m): "store unavailable: \(m)"
        case .corrupt(let m): "store corrupt: \(m)"
        case .notFound(let m): m
        }
    }
}
