import NIOCore
import NIOPosix

extension CountersignServerApp {
    /// Runs Swift concurrency's tasks on the server's NIO event loops instead of on a second pool
    /// of threads, so a request is read, decided, signed and answered on one thread without a
    /// hand-over between two pools (SwiftNIO's `NIOSingletons` take-over). Nothing the server runs
    /// blocks a loop for long: commits and checkpoints run on threads of their own, and a read is
    /// one short query on a pooled connection. Call once, from `serve`'s start,
    /// before any task is made; false when the runtime refused.
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
