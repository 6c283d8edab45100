/// The business data the tools read and write, as typed queries: no SQL leaves the store.
///
/// Customer-scoped queries take the customer's id and answer as if another customer's bookings
/// and reservations did not exist. Changes are single transactions that re-check availability
/// inside the transaction. Failures are thrown as `DataError`.
public protocol BusinessData: Sendable {
    /// A short name of the store for tool sources (`sqlite` gives `sqlite:bookings`).
    var sourceName: String { get }

    /// The customer with this id.
    func customer(id: String) async throws -> CustomerRecord?
    /// The customer whose phone number is `phone` (compared in E.164: spaces, dashes, dots and
    /// parentheses in stored numbers are ignored); `nil` when no customer has it.
    func customer(phone: String) async throws -> CustomerRecord?

    /// Every flight booking of the customer, cancelled ones included, by departure date.
    func bookings(customerID: String) async throws -> [FlightBooking]
    /// The customer's booking with this confirmation, in any state; `nil` when it is not theirs.
    func booking(confirmation: String, customerID: String) async throws -> FlightBooking?
    /// The departure of flight `number` on `date`.
    func flight(number: String, date: CalendarDate) async throws -> Flight?
    /// The first departure of flight `number` on or after `date`.
    func nextDeparture(number: String, onOrAfter date: CalendarDate) async throws -> Flight?
    /// Whether the customer's booking could move to `newDate`, and at what price.
    func quoteFlightChange(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeQuote
    /// Moves the customer's booking to `newDate` in one transaction: a new booking on the new
    /// departure, the old one cancelled, the seat moved. Availability is decided again inside
    /// the transaction, so a change that is no longer possible is refused, never half made.
    func changeFlight(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeResult

    /// Every hotel reservation of the customer, cancelled ones included, by check-in date.
    func reservations(customerID: String) async throws -> [HotelReservation]
    /// The customer's reservation with this confirmation; `nil` when it is not theirs.
    func reservation(confirmation: String, customerID: String) async throws -> HotelReservation?
    /// The hotel with this id.
    func hotel(id: String) async throws -> Hotel?
    /// The room types of a hotel.
    func rooms(hotelID: String) async throws -> [HotelRoom]
    /// How many rooms of `roomType` are free on every night from `checkIn` for `nights` nights,
    /// not counting reservation `excluding` (the one being moved).
    func roomsAvailable(hotelID: String, roomType: String, checkIn: CalendarDate, nights: Int, excluding: String?) async throws -> Int
    /// Whether the customer's reservation could move to `checkIn` for `nights` nights (`nil`:
    /// keep its length), and at what price.
    func quoteReservationChange(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeQuote
    /// Moves the customer's reservation in one transaction, re-checking availability inside it.
    func changeReservation(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeResult
}
