import IngestTestSupport
import Testing

@testable import IngestRunner

/// The ledger decides what a group commit may take: finished items in fetch order, never
/// past one still in work, within the bytes budget.
@Suite("Phase ledger")
struct PhaseLedgerTests {
    static func finished(_ index: Int, bytes: Int = 10) -> FinishedItem {
        FinishedItem(index: index, item: WorkItem(key: [UInt8(index & 0xFF)]), queueSequence: nil, result: .failed("x"), bytes: bytes)
    }

    /// What a walk over `finished` from `nextToCommit` finds: the definition the kept count must match.
    static func walked(_ ledger: PhaseLedger) -> Int {
        var count = 0
        while ledger.finished[ledger.nextToCommit + count] != nil { count += 1 }
        return count
    }

    @Test("items finishing out of order become committable only once the run before them is whole")
    func outOfOrder() {
        var ledger = PhaseLedger()
        ledger.fetched = 6
        for index in [2, 1, 4] { ledger.finish(Self.finished(index)) }
        #expect(ledger.committableCount == 0, "item 0 is still in work")
        ledger.finish(Self.finished(0))
        #expect(ledger.committableCount == 3)
        var budget = 1000
        #expect(ledger.takeCommittable(budget: &budget).map(\.index) == [0, 1, 2])
        #expect(ledger.committableCount == 0 && ledger.pending == 3)
        ledger.finish(Self.finished(3))
        #expect(ledger.committableCount == 2, "3 and the 4 that waited for it")
        ledger.finish(Self.finished(5))
        ledger.exhausted = true
        #expect(ledger.canComplete)
    }

    @Test("the budget splits a run; a failed write's items go back in front")
    func budgetAndRestore() {
        var ledger = PhaseLedger()
        ledger.fetched = 5
        for index in 0..<5 { ledger.finish(Self.finished(index, bytes: 100)) }
        var budget = 250
        let first = ledger.takeCommittable(budget: &budget)
        #expect(first.map(\.index) == [0, 1])
        #expect(ledger.committableCount == 3 && ledger.finishedBytes == 300)
        ledger.restore(first)
        #expect(ledger.nextToCommit == 0 && ledger.committableCount == 5 && ledger.finishedBytes == 500)
        var all = 0
        #expect(ledger.takeCommittable(budget: &all).map(\.index) == [0], "the first item always goes, whatever the budget")
    }

    @Test("seeded hand-ins, takes and restores: the kept count always equals a walk")
    func seeded() {
        var generator = SeededGenerator(seed: 7)
        var ledger = PhaseLedger()
        var inWork: [Int] = []
        for _ in 0..<2000 {
            switch generator.next() % 4 {
            case 0:
                inWork.append(ledger.fetched)
                ledger.fetched += 1
            case 1 where !inWork.isEmpty:
                let pick = Int(generator.next() % UInt64(inWork.count))
                ledger.finish(Self.finished(inWork.remove(at: pick), bytes: Int(generator.next() % 50)))
            case 2:
                var budget = Int(generator.next() % 400)
                let taken = ledger.takeCommittable(budget: &budget)
                if generator.next() % 5 == 0 { ledger.restore(taken) }
            default:
                break
            }
            #expect(ledger.committableCount == Self.walked(ledger))
        }
        #expect(ledger.fetched > 300, "control: the walk saw many items")
    }
}
