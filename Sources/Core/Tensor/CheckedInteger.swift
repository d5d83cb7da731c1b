/// The one way a number from a script, a file or the command line becomes a Swift integer:
/// `Int(x)` traps on NaN, infinities and values past Int's range, so every conversion of an
/// unchecked number goes through here and gets `nil` instead.
extension Double {
    /// The integer this number is exactly, when it is one within `range`.
    public func exactInteger(in range: ClosedRange<Int>) -> Int? {
        guard isFinite, self == rounded(), self >= Double(range.lowerBound), self <= Double(range.upperBound) else { return nil }
        return Int(self)
    }
}

extension Float {
    /// The integer this number is exactly, when it is one within `range`.
    public func exactInteger(in range: ClosedRange<Int>) -> Int? { Double(self).exactInteger(in: range) }
}

/// Largest class index a label file or a loss target may hold (65,535): more classes than any
/// dataset here has, and small enough that a corrupt label cannot make a huge allocation.
public let maximumClassIndex = 65_535

/// The product of `dims`, or nil when it overflows `Int`.
public func checkedProduct(_ dims: [Int]) -> Int? {
    var total = 1
    for d in dims {
        let (p, overflow) = total.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        total = p
    }
    return total
}
