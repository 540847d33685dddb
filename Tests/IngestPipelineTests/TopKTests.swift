@testable import IngestPipeline
import IngestTestSupport
import Testing

/// `TopK` keeps what a full sort's prefix would: the search's ranking must not change
/// because it stopped sorting every scored chunk.
@Suite("top k")
struct TopKTests {
    /// Higher score first, ties by id: the search's order.
    static func better(_ lhs: (id: Int, score: Int), _ rhs: (id: Int, score: Int)) -> Bool {
        lhs.score != rhs.score ? lhs.score > rhs.score : lhs.id < rhs.id
    }

    @Test("the best k of random scores with many ties equal the prefix of a full sort", arguments: [0, 1, 5, 20, 300])
    func matchesFullSort(k: Int) {
        var random = SeededGenerator(seed: UInt64(1000 + k))
        for round in 0..<200 {
            let count = Int.random(in: 0...400, using: &random)
            // Few distinct scores, so that most comparisons are decided by the tie-break.
            let elements = (0..<count).map { (id: $0, score: Int.random(in: 0...(round % 2 == 0 ? 5 : 1000), using: &random)) }
                .shuffled(using: &random)
            var top = TopK<(id: Int, score: Int)>(k, by: Self.better)
            for element in elements { top.offer(element) }
            let expected = elements.sorted(by: Self.better).prefix(k)
            #expect(top.best.map(\.id) == expected.map(\.id), "round \(round): \(count) elements")
        }
    }

    @Test("k of zero keeps nothing; fewer elements than k keeps them all, in order")
    func edges() {
        var none = TopK<(id: Int, score: Int)>(0, by: Self.better)
        none.offer((1, 9))
        #expect(none.best.isEmpty)
        var few = TopK<(id: Int, score: Int)>(10, by: Self.better)
        for element in [(id: 3, score: 1), (id: 1, score: 7), (id: 2, score: 7)] { few.offer(element) }
        #expect(few.best.map(\.id) == [1, 2, 3])
    }
}
