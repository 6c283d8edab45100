/// The two generations of the OpenAI Realtime event protocol.
public enum Dialect: String, Sendable, Hashable, CaseIterable {
    /// The generally available protocol (`response.output_audio.delta`, `session.type = "realtime"`).
    case ga
    /// The beta protocol (`response.audio.delta`, flat session fields, `OpenAI-Beta: realtime=v1`).
    case beta

    /// The dialect a client announces with its `OpenAI-Beta` header (`realtime=v1` means beta).
    public static func fromBetaHeader(_ value: String?) -> Dialect {
        guard let value else { return .ga }
        return value.split(separator: ",").contains { $0.trimmingCharacters(in: " ").lowercased() == "realtime=v1" } ? .beta : .ga
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
