/// The best `k` of a stream of elements, in order: what `sorted(by:).prefix(k)` returns,
/// without sorting the whole stream.
///
/// A query over a large store scores every chunk that holds one of its terms — over 100 MB
/// a common word reaches tens of thousands — and sorting them all to keep five was a quarter
/// of `ingest search`'s time; vector search compares every stored vector. Here an element is compared with the current k-th best and
/// almost always dropped at once; the few that get in are inserted in place (k is small).
/// `better` must be a strict total order (ties broken, as the search breaks them by chunk
/// id), so the result is the same as a full sort's.
struct TopK<Element> {
    private let k: Int
    private let better: (Element, Element) -> Bool
    /// The best so far, best first; never more than `k`.
    private(set) var best: [Element] = []

    init(_ k: Int, by better: @escaping (Element, Element) -> Bool) {
        self.k = max(0, k)
        self.better = better
        best.reserveCapacity(self.k + 1)
    }

    /// The k-th best so far once there are `k`, else `nil`: an element that is not better
    /// than it is dropped, so a caller can skip building one that cannot get in.
    var threshold: Element? { best.count == k ? best.last : nil }

    mutating func offer(_ element: Element) {
        if best.count == k {
            guard let last = best.last, better(element, last) else { return }
            best.removeLast()
        }
        // The first position whose element is not better than the new one.
        var low = 0, high = best.count
        while low < high {
            let middle = (low + high) / 2
            if better(best[middle], element) { low = middle + 1 } else { high = middle }
        }
        best.insert(element, at: low)
    }
}
