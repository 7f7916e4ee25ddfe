import CountersignCore

extension ApprovalRequest {
    /// Where a newest-first listing stands: the creation time and id of the last request read.
    public struct ListPosition: Sendable, Equatable {
        /// The creation time of the last request read.
        public var createdAt: Instant
        /// Its id, which orders requests created in the same millisecond.
        public var id: String

        /// The position after the request created at `createdAt` with `id`.
        public init(createdAt: Instant, id: String) {
            self.createdAt = createdAt
            self.id = id
        }
    }

    /// This request as a listing position.
    public var listPosition: ListPosition { ListPosition(createdAt: createdAt, id: id) }
}

extension ApprovalRequestStore {
    /// The newest `limit` requests in `state` (every state when nil).
    public func approvalRequests(state: ApprovalRequest.State?, limit: Int) async throws -> [ApprovalRequest] {
        try await approvalRequests(state: state, after: nil, limit: limit)
    }

    /// The newest `limit` requests in `state` that `keep` accepts (those an approver may see,
    /// those whose state on read is the one asked for). Filtering one page of the newest rows
    /// would hide an approver's request behind newer ones of other groups, so this pages through
    /// the store until `limit` are kept or the store is exhausted, reading at most `maxScanned`.
    public func approvalRequests(
        state: ApprovalRequest.State?, limit: Int, maxScanned: Int = 10_000, pageSize: Int = 200,
        where keep: (ApprovalRequest) -> Bool
    ) async throws -> [ApprovalRequest] {
        var kept: [ApprovalRequest] = []
        var position: ApprovalRequest.ListPosition?
        var scanned = 0
        while kept.count < limit, scanned < maxScanned {
            let wanted = min(pageSize, maxScanned - scanned)
            let page = try await approvalRequests(state: state, after: position, limit: wanted)
            scanned += page.count
            for request in page where keep(request) {
                kept.append(request)
                if kept.count == limit { break }
            }
            guard let last = page.last, page.count == wanted else { break }
            position = last.listPosition
        }
        return kept
    }
}
