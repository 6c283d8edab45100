/// How a scheduled flight stands. The raw values are the words a caller is told.
public enum FlightStatus: String, Sendable, Hashable, CaseIterable {
    case onTime = "on time"
    case delayed
    case cancelled
}

/// One departure of a flight number on one day.
public struct Flight: Sendable, Hashable {
    /// `SB204`.
    public var number: String
    /// The day it departs.
    public var date: CalendarDate
    /// Airport codes: `SFO`, `JFK`.
    public var origin: String
    public var destination: String
    /// Scheduled local times, `HH:mm`.
    public var departureTime: String
    public var arrivalTime: String
    public var gate: String
    public var status: FlightStatus
    /// How late it is expected to leave; 0 unless delayed.
    public var delayMinutes: Int
    public var seatsTotal: Int
    public var seatsAvailable: Int
    /// The full economy fare on this departure; other fare classes are a percentage of it.
    public var baseFare: Money

    public init(
        number: String, date: CalendarDate, origin: String, destination: String, departureTime: String,
        arrivalTime: String, gate: String, status: FlightStatus = .onTime, delayMinutes: Int = 0,
        seatsTotal: Int, seatsAvailable: Int, baseFare: Money
    ) {
        self.number = number
        self.date = date
        self.origin = origin
        self.destination = destination
        self.departureTime = departureTime
        self.arrivalTime = arrivalTime
        self.gate = gate
        self.status = status
        self.delayMinutes = delayMinutes
        self.seatsTotal = seatsTotal
        self.seatsAvailable = seatsAvailable
        self.baseFare = baseFare
    }

    /// The fare for `rule`'s class on this departure.
    public func fare(for rule: FareRule) -> Money {
        Money(cents: baseFare.cents * rule.farePercent / 100, currency: baseFare.currency)
    }
}

/// What a fare class costs and whether (and for how much) it may be changed.
public struct FareRule: Sendable, Hashable {
    /// `Y`, `B`, `J`.
    public var fareClass: String
    /// `Economy`, `Basic Economy`, `Business`.
    public var name: String
    /// The class's fare as a percentage of the flight's base fare.
    public var farePercent: Int
    /// What a date change costs.
    public var changeFee: Money
    /// Whether a booking in this class may be moved to another date at all.
    public var isChangeable: Bool

    public init(fareClass: String, name: String, farePercent: Int, changeFee: Money, isChangeable: Bool) {
        self.fareClass = fareClass
        self.name = name
        self.farePercent = farePercent
        self.changeFee = changeFee
        self.isChangeable = isChangeable
    }
}

/// Whether a flight booking still holds a seat.
public enum BookingStatus: String, Sendable, Hashable {
    case confirmed
    case cancelled
}

/// A customer's seat on one flight departure.
public struct FlightBooking: Sendable, Hashable {
    /// `BKQ431`.
    public var confirmation: String
    public var customerID: String
    public var flight: Flight
    public var fareRule: FareRule
    /// What the customer paid for the fare.
    public var farePaid: Money
    /// `14C`, when assigned.
    public var seat: String?
    public var status: BookingStatus
    /// The booking this one was changed into, when it was cancelled by a date change.
    public var replacedBy: String?

    public init(
        confirmation: String, customerID: String, flight: Flight, fareRule: FareRule, farePaid: Money,
        seat: String?, status: BookingStatus = .confirmed, replacedBy: String? = nil
    ) {
        self.confirmation = confirmation
        self.customerID = customerID
        self.flight = flight
        self.fareRule = fareRule
        self.farePaid = farePaid
        self.seat = seat
        self.status = status
        self.replacedBy = replacedBy
    }
}
