import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import CountersignStore

/// The store's direct SQLite layer: one connection called synchronously, with statements kept
/// prepared up to a limit, values in SQLite's five storage classes, and errors that keep
/// SQLite's result code.
@Suite struct SQLiteDatabaseTests {
    static func withDatabase(_ body: (SQLiteDatabase) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-db-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        try body(database)
    }

    @Test func valuesOfEveryStorageClassRoundTrip() throws {
        try Self.withDatabase { db in
            try db.execute("CREATE TABLE t (i INTEGER, f REAL, s TEXT, b BLOB, n TEXT)")
            let text = "é\u{0}\"x\u{1F600}"
            try db.query(
                "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                [.integer(-9_007_199_254_740_993), .float(2.5), .text(text), .blob([0, 1, 255]), .null])
            let row = try #require(try db.query("SELECT * FROM t").first)
            #expect(row.column("i") == .integer(-9_007_199_254_740_993))
            #expect(row.column("f") == .float(2.5))
            #expect(row.column("s") == .text(text))
            #expect(row.column("b") == .blob([0, 1, 255]))
            #expect(row.column("n") == .null)
            #expect(row.column("absent") == nil)
            #expect(row.column("i")?.string == "-9007199254740993")
            #expect(SQLiteValue.text("42").integer == 42)
            // Empty text and an empty blob stay empty values, not NULL.
            try db.query("INSERT INTO t (s, b) VALUES (?, ?)", [.text(""), .blob([])])
            let empty = try #require(try db.query("SELECT s, b, s IS NULL AS sn, b IS NULL AS bn FROM t WHERE i IS NULL").first)
            #expect(empty.column("sn") == .integer(0))
            #expect(empty.column("bn") == .integer(0))
            #expect(empty.column("s") == .text(""))
        }
    }

    @Test func statementsPastTheKeptLimitStillRun() throws {
        try Self.withDatabase { db in
            try db.execute("CREATE TABLE t (v INTEGER)")
            try db.query("INSERT INTO t VALUES (7)")
            // Distinct SQL texts: the first `statementCacheLimit` are kept, the rest prepared each time.
            for k in 0..<(SQLiteDatabase.statementCacheLimit + 40) {
                let rows = try db.query("SELECT v + \(k) AS w FROM t WHERE v = ?", [.integer(7)])
                #expect(rows.first?.column("w") == .integer(7 + k))
            }
            // A kept statement is reset after use, so it runs again with new binds.
            #expect(try db.query("SELECT v + 0 AS w FROM t WHERE v = ?", [.integer(8)]).isEmpty)
        }
    }

    @Test func onlyATakenKeyIsAConflict() throws {
        try Self.withDatabase { db in
            try db.execute("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT NOT NULL CHECK (v <> 'bad'))")
            try db.query("INSERT INTO t VALUES ('a', 'x')")
            for (sql, conflict) in [
                ("INSERT INTO t VALUES ('a', 'y')", true), ("INSERT INTO t VALUES ('b', NULL)", false),
                ("INSERT INTO t VALUES ('c', 'bad')", false),
            ] {
                do {
                    try db.query(sql)
                    Issue.record("\(sql) was accepted")
                } catch let error as SQLiteError {
                    #expect(error.isConstraint == conflict, "\(sql): \(error.message)")
                }
            }
        }
    }

    @Test func errorsKeepSQLitesCodeAndMessage() throws {
        try Self.withDatabase { db in
            try db.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")
            try db.query("INSERT INTO t VALUES (?)", [.text("a")])
            do {
                try db.query("INSERT INTO t VALUES (?)", [.text("a")])
                Issue.record("a duplicate key was accepted")
            } catch let error as SQLiteError {
                #expect(error.isConstraint)
                #expect(error.message.contains("UNIQUE"), "\(error.message)")
            }
            do {
                try db.query("SELEKT 1")
                Issue.record("bad SQL was accepted")
            } catch let error as SQLiteError {
                #expect(!error.isConstraint && !error.isBusy)
                #expect(error.message.contains("syntax error"), "\(error.message)")
            }
            // The failed statement left nothing behind: the connection still works.
            #expect(try db.query("SELECT COUNT(*) AS n FROM t").first?.column("n") == .integer(1))
        }
    }

    @Test func aClosedConnectionRefusesWork() throws {
        try Self.withDatabase { db in
            db.close()
            #expect(throws: SQLiteError.self) { try db.query("SELECT 1") }
            #expect(throws: SQLiteError.self) { try db.execute("SELECT 1") }
        }
    }

    @Test func closedReadersRefuseReads() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-rd-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let setup = try SQLiteDatabase(path: path)
        try setup.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);")
        setup.close()
        let readers = SQLiteReaders(path: path)
        #expect(try readers.read { try $0.query("SELECT v FROM t").first?.column("v") } == .integer(1))
        // Read-only: a reader cannot write.
        #expect(throws: SQLiteError.self) { try readers.read { try $0.query("INSERT INTO t VALUES (2)") } }
        readers.close()
        #expect(throws: SQLiteError.self) { try readers.read { try $0.query("SELECT 1") } }
    }
}

/// The writer resumes a caller on the event loop it came from only when that loop belongs to the
/// shared group, which never shuts down: a resume sent to a loop that had shut down would be
/// dropped by NIO, and its caller would wait forever.
@Suite struct WriterResumeLoopTests {
    @Test func aCallerIsResumedOnItsOwnLoopOnlyWhenThatLoopNeverShutsDown() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let privateLoop = try await group.next().submit { SQLiteWriter.callerLoop() }.get()
        #expect(privateLoop == nil)
        let shared = MultiThreadedEventLoopGroup.singleton.next()
        let sharedLoop = try await shared.submit { SQLiteWriter.callerLoop() }.get()
        #expect(sharedLoop === shared)
        try await group.shutdownGracefully()
    }
}
