/// A customer of the demo business.
public struct CustomerRecord: Sendable, Hashable {
    /// `C-1001`.
    public var id: String
    public var name: String
    public var email: String?
    public var phone: String?

    public init(id: String, name: String, email: String? = nil, phone: String? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
    }
}
