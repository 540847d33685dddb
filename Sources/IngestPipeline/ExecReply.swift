internal import Foundation

/// One reply line of the ``ExecEmbedder`` protocol: `{"vectors": [...], "errors": [...]}`.
///
/// Elements are decoded leniently, so that one malformed vector becomes an error for that
/// item rather than for the whole batch.
struct ExecReply: Decodable {
    let vectors: [ExecReplyVector]
    let errors: [ExecReplyReason]?

    /// Checks a reply line against the batch it answers.
    /// - Parameters:
    ///   - line: The reply line, without its newline.
    ///   - count: How many texts the request held.
    ///   - dimension: The length every vector must have.
    ///   - offset: The index of the batch's first text in the caller's list, for item errors.
    ///   - prefix: The start of every message (names the command).
    /// - Returns: Per item, its vector or an `EmbedderError` with scope `.item(index:)`.
    /// - Throws: `EmbedderError` with scope `.batch` when the line is not a reply to this
    ///   batch (not JSON, no `vectors`, wrong number of vectors or errors).
    static func results(
        of line: [UInt8], count: Int, dimension: Int, offset: Int, prefix: String
    ) throws(EmbedderError) -> [Result<[Float], EmbedderError>] {
        if let refusal = JSON5Guard.refusal(of: line) {
            throw EmbedderError(
                scope: .batch,
                message: prefix + "answered \(refusal): «\(snippet(line))». It is restarted for the next batch."
            )
        }
        let reply: ExecReply
        do {
            let decoder = JSONDecoder()
            decoder.allowsJSON5 = true  // accepts NaN and Infinity, as Python's json writes them
            reply = try decoder.decode(ExecReply.self, from: Data(line))
        } catch {
            throw EmbedderError(scope: .batch, message: prefix + describe(error, line: line))
        }
        guard reply.vectors.count == count else {
            throw EmbedderError(
                scope: .batch,
                message: prefix + "answered \(reply.vectors.count) vectors for \(count) texts; "
                    + "it must answer one vector per text, in order. It is restarted for the next batch."
            )
        }
        if let errors = reply.errors, errors.count != count {
            throw EmbedderError(
                scope: .batch,
                message: prefix + "answered \(errors.count) entries in \"errors\" for \(count) texts; "
                    + "it must give one entry (null or a reason) per text, or leave \"errors\" out. "
                    + "It is restarted for the next batch."
            )
        }
        return reply.vectors.indices.map { position in
            let index = offset + position
            func failure(_ text: String) -> Result<[Float], EmbedderError> {
                .failure(EmbedderError(scope: .item(index: index), message: prefix + text))
            }
            if let reason = reply.errors?[position].reason {
                return failure("rejected item \(index): \(reason)")
            }
            switch reply.vectors[position] {
            case .missing:
                return failure("gave null for item \(index) without a reason in \"errors\"")
            case .invalid:
                return failure("gave something that is not a list of numbers for item \(index)")
            case .values(let numbers):
                guard numbers.count == dimension else {
                    return failure(
                        "gave a vector of \(numbers.count) numbers for item \(index); expected \(dimension), "
                            + "the dimension this embedder was set up with"
                    )
                }
                var vector = [Float]()
                vector.reserveCapacity(dimension)
                for (place, number) in numbers.enumerated() {
                    guard let value = number.value else {
                        return failure("gave a value that is not a number at position \(place) of item \(index)")
                    }
                    let single = Float(value)
                    guard single.isFinite else {
                        return failure(
                            "gave a non-finite number (\(value)) at position \(place) of item \(index); "
                                + "vectors must hold finite 32-bit floats"
                        )
                    }
                    vector.append(single)
                }
                return .success(vector)
            }
        }
    }

    /// A message for a line that does not decode as a reply.
    private static func describe(_ error: any Error, line: [UInt8]) -> String {
        let hint = ". Only reply lines may go to stdout; send logs to stderr. It is restarted for the next batch."
        let shown = "«\(snippet(line))»"
        switch error {
        case DecodingError.keyNotFound(let key, let context)
        where key.stringValue == "vectors" && context.codingPath.isEmpty:
            return "answered JSON without a \"vectors\" field: \(shown)" + hint
        case DecodingError.typeMismatch, DecodingError.valueNotFound:
            return "answered JSON that is not an object with a \"vectors\" list: \(shown)" + hint
        default:
            return "answered a line that is not JSON: \(shown)" + hint
        }
    }

    /// The start of `line` for a message: at most 200 characters.
    static func snippet(_ line: [UInt8]) -> String {
        let text = String(decoding: line.prefix(800), as: UTF8.self)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// One element of `vectors`: a list of numbers, `null`, or something else.
enum ExecReplyVector: Decodable {
    case values([ExecReplyNumber])
    case missing
    case invalid

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .missing
        } else if let numbers = try? container.decode([ExecReplyNumber].self) {
            self = .values(numbers)
        } else {
            self = .invalid
        }
    }
}

/// One element of a vector: `nil` when it is not a number.
struct ExecReplyNumber: Decodable {
    let value: Double?

    init(from decoder: any Decoder) throws {
        value = try? decoder.singleValueContainer().decode(Double.self)
    }
}

/// One element of `errors`: `nil` for no error, else the child's reason.
struct ExecReplyReason: Decodable {
    let reason: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            reason = nil
        } else if let text = try? container.decode(String.self) {
            reason = text.isEmpty ? "(no reason given)" : text
        } else {
            reason = "(a reason that is not a string)"
        }
    }
}
