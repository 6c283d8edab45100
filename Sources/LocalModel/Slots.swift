import RealtimeProtocol
import SwitchboardAgents

/// Fills a tool's arguments from what the caller said, driven only by the parameters' JSON
/// schemas, never by tool names:
///
/// - a `pattern` takes a word of the utterance that matches it whole, normalised (uppercase,
///   punctuation stripped, neighbouring words joined, digits said as words read as digits:
///   "ab 204" → "AB204", "X Y Z four three one" → "XYZ431", "K one double-oh one" → "K1001");
/// - `format: date` takes a date phrase, resolved against `today`, as `yyyy-MM-dd`;
/// - `type: integer` (or `number`) takes a number said next to the parameter's name or its
///   singular ("3 nights", "for three nights", "nights: 3"), within `minimum`…`maximum`;
/// - `enum` takes a value whose words were said;
/// - a string named after one of the pack's vocabularies (`dentist`) takes the longest of its
///   values whose words were said ("can I see doctor nguyen" → "Doctor Nguyen");
/// - a free-text string named `query`, `question` or `text` takes the whole utterance.
public struct SlotExtractor: Sendable {
    /// The day relative dates count from.
    public var today: CalendarDay
    /// The pack's vocabularies: values callers say, by the parameter name they fill.
    public var vocabularies: [String: [String]]

    /// An extractor resolving relative dates against `today`.
    public init(today: CalendarDay, vocabularies: [String: [String]] = [:]) {
        self.today = today
        self.vocabularies = vocabularies
    }

    /// The arguments of `tool` that `utterance` supplies, in the schema's order.
    public func slots(for tool: FunctionTool, in utterance: Utterance) -> JSONObject {
        var slots = JSONObject()
        let dates = self.dates(in: utterance)
        let dateParameters = tool.parameters.filter { $0.format == "date" }
        for parameter in tool.parameters {
            if parameter.format == "date" {
                // One date parameter takes the last date said ("from Friday to Sunday" → Sunday);
                // several take the dates in the order said.
                guard !dates.isEmpty else { continue }
                let position = dateParameters.firstIndex(of: parameter) ?? 0
                if dateParameters.count == 1 {
                    slots[parameter.name] = .string(dates[dates.count - 1].iso)
                } else if position < dates.count {
                    slots[parameter.name] = .string(dates[position].iso)
                }
            } else if let value = value(for: parameter, in: utterance) {
                slots[parameter.name] = value
            }
        }
        return slots
    }

    /// The value `utterance` supplies for a parameter that is not a date.
    public func value(for parameter: FunctionTool.Parameter, in utterance: Utterance) -> JSONValue? {
        if let pattern = parameter.pattern {
            return token(matching: pattern, in: utterance).map(JSONValue.string)
        }
        if let options = parameter.schema["enum"]?.arrayValue?.compactMap(\.stringValue) {
            // A required choice of one has nothing to ask.
            if options.count == 1, parameter.isRequired { return .string(options[0]) }
            return options.first { utterance.contains(words: $0.replacingUnderscores) }.map(JSONValue.string)
        }
        if parameter.type == "string", let values = vocabularies[parameter.name],
           let said = values.filter({ utterance.contains(words: $0) }).max(by: { Utterance.words(of: $0).count < Utterance.words(of: $1).count }) {
            return .string(said)
        }
        switch parameter.type {
        case "integer", "number":
            let minimum = parameter.schema["minimum"]?.intValue ?? Int.min
            let maximum = parameter.schema["maximum"]?.intValue ?? Int.max
            return integer(named: parameter.name, in: utterance).flatMap { $0 >= minimum && $0 <= maximum ? .int($0) : nil }
        case "string" where parameter.isFreeText:
            let text = utterance.text.trimmingWhitespace
            return text.isEmpty ? nil : .string(text)
        default:
            return nil
        }
    }

    /// Every date `utterance` names, in order, resolved against `today`.
    public func dates(in utterance: Utterance) -> [CalendarDay] {
        DatePhrases(today: today).dates(in: utterance.words)
    }

    /// The code `pattern` matches whole in what was said, read as ``SpokenCodes`` reads codes
    /// ("A B two oh four" → "AB204").
    public func token(matching pattern: String, in utterance: Utterance) -> String? {
        SpokenCodes.token(matching: pattern, in: utterance.text)
    }

    /// A number said right before or after `name` (words split at `_`) or its singular.
    public func integer(named name: String, in utterance: Utterance) -> Int? {
        let words = utterance.words
        let nameWords = name.lowercased().split(separator: "_").map(String.init)
        guard let last = nameWords.last else { return nil }
        var forms = [nameWords]
        if last.count > 1, last.hasSuffix("s") { forms.append(nameWords.dropLast() + [String(last.dropLast())]) }
        for index in words.indices {
            guard let form = forms.first(where: { Array(words[index...].prefix($0.count)) == $0 }) else { continue }
            // Before: "3 nights", "twenty one nights".
            for length in [2, 1] where index - length >= 0 {
                if let number = SpokenNumber.value(in: words, at: index - length), number.length == length, !number.ordinal {
                    return number.value
                }
            }
            // After: "nights 3", "number of nights: three".
            if let number = SpokenNumber.value(in: words, at: index + form.count), !number.ordinal {
                return number.value
            }
        }
        return nil
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }

    var replacingUnderscores: String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
