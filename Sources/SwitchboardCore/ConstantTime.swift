/// Comparison of secrets whose time does not depend on where they differ.
public enum ConstantTime {
    /// Whether `a` and `b` have the same UTF-8 bytes, looking at every byte when the lengths match.
    public static func equals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
