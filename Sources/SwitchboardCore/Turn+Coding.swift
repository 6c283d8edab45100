import Foundation
import RealtimeProtocol

// Saved turns stay readable both ways: states saved before a field existed decode with its
// default, and a field at its default (not interrupted, no sources) is left out of the JSON.
extension Turn: Codable {
    private enum CodingKeys: String, CodingKey {
        case user, assistant, agent, tools, sources, interrupted, heardMs, at
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            user: try container.decode(String.self, forKey: .user),
            assistant: try container.decode(String.self, forKey: .assistant),
            agent: try container.decode(String.self, forKey: .agent),
            tools: try container.decodeIfPresent([String].self, forKey: .tools) ?? [],
            sources: try container.decodeIfPresent([ToolSources].self, forKey: .sources) ?? [],
            interrupted: try container.decodeIfPresent(Bool.self, forKey: .interrupted) ?? false,
            heardMs: try container.decodeIfPresent(Int.self, forKey: .heardMs),
            at: try container.decode(Date.self, forKey: .at))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user, forKey: .user)
        try container.encode(assistant, forKey: .assistant)
        try container.encode(agent, forKey: .agent)
        try container.encode(tools, forKey: .tools)
        if !sources.isEmpty { try container.encode(sources, forKey: .sources) }
        if interrupted { try container.encode(true, forKey: .interrupted) }
        try container.encodeIfPresent(heardMs, forKey: .heardMs)
        try container.encode(at, forKey: .at)
    }
}

extension ToolSources: Codable {
    private enum CodingKeys: String, CodingKey {
        case tool, outcome, sources
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tool: try container.decode(String.self, forKey: .tool),
            outcome: try container.decodeIfPresent(String.self, forKey: .outcome) ?? "",
            sources: try container.decodeIfPresent([CodableJSON].self, forKey: .sources)?.map(\.value) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tool, forKey: .tool)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(sources.map(CodableJSON.init), forKey: .sources)
    }
}

/// A JSON value through `Codable`, for the free-form sources tools report.
private struct CodableJSON: Codable {
    var value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            let keys = object.allKeys.sorted { $0.stringValue < $1.stringValue }
            value = .object(JSONObject(try keys.map { ($0.stringValue, try object.decode(CodableJSON.self, forKey: $0).value) }))
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(CodableJSON.self).value) }
            value = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            value = .null
        } else if let bool = try? single.decode(Bool.self) {
            value = .bool(bool)
        } else if let int = try? single.decode(Int.self) {
            value = .int(int)
        } else if let double = try? single.decode(Double.self) {
            value = .double(double)
        } else {
            value = .string(try single.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch value {
        case .object(let object):
            var container = encoder.container(keyedBy: Key.self)
            for (key, member) in object { try container.encode(CodableJSON(member), forKey: Key(stringValue: key)) }
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(CodableJSON(item)) }
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let bool):
            var container = encoder.singleValueContainer()
            try container.encode(bool)
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .number:
            var container = encoder.singleValueContainer()
            if let int = value.intValue {
                try container.encode(int)
            } else {
                try container.encode(value.doubleValue ?? 0)
            }
        }
    }
}
