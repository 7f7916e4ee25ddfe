/// A named action a client may ask for (`refund`, `delete_user`): the RFC 9396
/// `authorization_details` type, the context fields it carries and the resources it applies to.
public struct ActionDefinition: Sendable {
    /// The action's name: the `authorization_details` type (RFC 9396 §2) and action scope.
    public let name: String
    /// The file's `description` of the action, for people reading it.
    public let description: String?
    /// Resources (RFC 8707 `resource`, RAR `locations`) this action may name, matched against
    /// their normal form (`ResourceLocation`); nil: any.
    public let resource: GlobPattern?
    /// `resource_query: true`: its locations may carry a query, which is then part of what is
    /// compared (POLICY.md §3); otherwise a location with a query is refused.
    public let resourceQuery: Bool
    /// Declared context fields; nil when the action declares none (then any context is accepted).
    public let fields: [String: FieldType]?
    /// Where the action is declared in the policy file.
    public let location: SourceLocation

    /// An action as the policy parser builds it.
    public init(
        name: String, description: String? = nil, resource: GlobPattern? = nil, resourceQuery: Bool = false,
        fields: [String: FieldType]? = nil, location: SourceLocation = .start
    ) {
        self.name = name
        self.description = description
        self.resource = resource
        self.resourceQuery = resourceQuery
        self.fields = fields
        self.location = location
    }
}

/// The declared type of a context field: `number`, `string`, `boolean`, `[string]`, `[number]`,
/// optional when written with a trailing `?`.
public struct FieldType: Sendable, Hashable, CustomStringConvertible {
    /// The type of a value, or of each item of a list.
    public enum Base: String, Sendable, Hashable, CaseIterable {
        case string, number, boolean
    }

    /// The type of the value or of its items.
    public let base: Base
    /// Whether the field holds a list (`[string]`).
    public let isList: Bool
    /// Whether the field may be missing or `null` (a trailing `?`).
    public let isOptional: Bool

    /// A field type as the policy parser reads it.
    public init(base: Base, isList: Bool = false, isOptional: Bool = false) {
        self.base = base
        self.isList = isList
        self.isOptional = isOptional
    }

    /// Parses `number`, `string?`, `[string]`, `[number]?`.
    public init?(text: String) {
        var t = Substring(text)
        var optional = false
        if t.hasSuffix("?") {
            optional = true
            t = t.dropLast()
        }
        var list = false
        if t.hasPrefix("[") && t.hasSuffix("]") {
            list = true
            t = t.dropFirst().dropLast()
        }
        guard let base = Base(rawValue: String(t)) else { return nil }
        self.init(base: base, isList: list, isOptional: optional)
    }

    /// The type as the policy file writes it: `[string]?`.
    public var description: String { (isList ? "[\(base.rawValue)]" : base.rawValue) + (isOptional ? "?" : "") }

    /// The kind of a value of this type (a list for `[string]`).
    public var kind: PolicyValue.Kind { isList ? .list : base.kind }

    /// Whether `value` has this type (each element, for a list).
    public func accepts(_ value: PolicyValue) -> Bool {
        if isList {
            guard case .list(let items) = value else { return false }
            return items.allSatisfy { $0.kind == base.kind }
        }
        return value.kind == base.kind
    }
}

extension FieldType.Base {
    /// The policy value kind of this base type.
    public var kind: PolicyValue.Kind {
        switch self {
        case .string: .string
        case .number: .number
        case .boolean: .boolean
        }
    }
}

/// A request's context that does not fit its action's declared fields (RFC 9396 §5:
/// `invalid_authorization_details`, naming the field).
public struct ContextFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field that does not fit.
    public let field: String
    /// What is wrong, in the words of the `invalid_authorization_details` answer.
    public let message: String
    /// An error about `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    /// The message, as the answer's `error_description` carries it.
    public var description: String { message }
}

extension ActionDefinition {
    /// The resource (RFC 8707 `resource`, RAR `locations`) in normal form (POLICY.md §3,
    /// "Resource locations"), checked against the action's `resource` pattern when it declares
    /// one. The server, `policy test` and `policy explain` all decide on this form.
    public func resourceLocation(_ resource: String) throws(ContextFieldError) -> ResourceLocation {
        let normal: ResourceLocation
        do { normal = try ResourceLocation(normalizing: resource, allowsQuery: resourceQuery) } catch {
            throw ContextFieldError(field: "resource", message: "\(PolicyValue.string(resource).rendered(limit: 80)) \(error.message)")
        }
        if let pattern = self.resource, !pattern.matches(normal.uri) {
            throw ContextFieldError(
                field: "resource",
                message: "\(PolicyValue.string(normal.uri).rendered(limit: 80)) is not a resource of \(name) (\(pattern.pattern))")
        }
        return normal
    }

    /// A decision request as the server would decide it: its resource in normal form and its
    /// context fitting the declared fields.
    public func checked(_ request: DecisionRequest) throws(ContextFieldError) -> DecisionRequest {
        var checked = request
        if let resource = request.resource { checked.resource = try resourceLocation(resource).uri }
        try validate(context: request.context)
        return checked
    }

    /// Checks a request's context against the declared fields: each required field present,
    /// each value of its declared type, no undeclared field.
    public func validate(context: [String: PolicyValue]) throws(ContextFieldError) {
        guard let fields else { return }
        for name in context.keys.sorted() where fields[name] == nil {
            throw ContextFieldError(field: name, message: "\(self.name) has no field \(name)")
        }
        for (name, type) in fields.sorted(by: { $0.key < $1.key }) {
            // JSON null is an absent value, as everywhere in a decision.
            guard let value = context[name], value != .null else {
                if type.isOptional { continue }
                throw ContextFieldError(field: name, message: "\(self.name) requires the field \(name) (\(type.description))")
            }
            guard type.accepts(value) else {
                if case .list(let items) = value, type.isList, let bad = items.firstIndex(where: { $0.kind != type.base.kind }) {
                    throw ContextFieldError(
                        field: name,
                        message: "\(self.name) field \(name) must be \(type.description): item \(bad) is a \(items[bad].kind)")
                }
                throw ContextFieldError(
                    field: name, message: "\(self.name) field \(name) must be \(type.description), not \(value.kind)")
            }
        }
    }
}
