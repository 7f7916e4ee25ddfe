import CountersignCore
import CountersignOAuth
import CountersignStore
import Hummingbird

/// `GET /healthz` (the process is up) and `GET /readyz` (the store answers and a policy is loaded).
enum HealthRoutes {
    static func add(to router: Router<CountersignRequestContext>, store: any AuditLog, policy: PolicyHolder) {
        router.get("/healthz") { _, _ in
            OAuthRoutes.response(.json(JSONWriter.object([("status", "ok")])))
        }
        router.head("/healthz") { _, _ in
            OAuthRoutes.headResponse(.json(JSONWriter.object([("status", "ok")])))
        }
        router.get("/readyz") { _, _ in
            var problems: [JSONValue] = []
            do {
                _ = try await store.head()
            } catch {
                problems.append("store unreachable")
            }
            if policy.current == nil { problems.append("no policy loaded") }
            let ready = problems.isEmpty
            return OAuthRoutes.response(
                .json(
                    status: ready ? 200 : 503,
                    JSONWriter.object([("status", .string(ready ? "ready" : "not ready")), ("problems", .array(problems))])))
        }
        OAuthRoutes.refuseOtherMethods(on: "/healthz", allowing: [.get, .head], in: router)
        OAuthRoutes.refuseOtherMethods(on: "/readyz", allowing: [.get], in: router)
    }
}
