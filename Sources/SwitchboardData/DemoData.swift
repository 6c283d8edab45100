/// The demo business every new database is seeded with, with every date relative to `today`.
///
/// Flights run every day from `today - 3` to `today + 30` on six routes. Alex Morgan (`C-1001`,
/// the demo caller) flies SFO→JFK on `SB204` in 5 days (`BKQ431`) and JFK→LHR on `SB311` in 12
/// (`BKR518`), staying at the Harbor View Hotel (`H204518`) and the Kensington Gardens Hotel
/// (`H311702`). Sam Rivera (`C-1002`) and Jordan Lee (`C-1003`) have bookings of their own.
/// Some departures are delayed, cancelled or sold out, and the Harbor View's King rooms are
/// sold out from `today + 20` to `today + 22`, so every answer a tool can give can be heard.
public struct DemoData: Sendable {
    /// The day the data is relative to.
    public let today: CalendarDate
    public let customers: [CustomerRecord]
    public let fareRules: [FareRule]
    public let flights: [Flight]
    public let bookings: [FlightBooking]
    public let hotels: [Hotel]
    public let rooms: [HotelRoom]
    public let reservations: [HotelReservation]

    /// The first and last day with flights, relative to `today`.
    public static let flightDays = -3...30

    public init(today: CalendarDate) {
        self.today = today
        customers = [
            CustomerRecord(id: "C-1001", name: "Alex Morgan", email: "alex.morgan@example.com", phone: "+1 415 555 0142"),
            CustomerRecord(id: "C-1002", name: "Sam Rivera", email: "sam.rivera@example.com", phone: "+1 212 555 0187"),
            CustomerRecord(id: "C-1003", name: "Jordan Lee", email: "jordan.lee@example.com", phone: "+44 20 7946 0321"),
        ]
        let economy = FareRule(fareClass: "Y", name: "Economy", farePercent: 100, changeFee: Money(cents: 7500), isChangeable: true)
        let basic = FareRule(fareClass: "B", name: "Basic Economy", farePercent: 80, changeFee: Money(cents: 0), isChangeable: false)
        let business = FareRule(fareClass: "J", name: "Business", farePercent: 300, changeFee: Money(cents: 0), isChangeable: true)
        fareRules = [economy, basic, business]

        var flights: [Flight] = []
        for (index, route) in Self.routes.enumerated() {
            for offset in Self.flightDays {
                flights.append(Self.flight(route, routeIndex: index, date: today.adding(days: offset), offset: offset))
            }
        }
        self.flights = flights
        func departure(_ number: String, _ offset: Int) -> Flight {
            flights.first { $0.number == number && $0.date == today.adding(days: offset) }!
        }
        func booking(_ confirmation: String, _ customer: String, _ number: String, _ offset: Int, _ rule: FareRule, _ seat: String) -> FlightBooking {
            let flight = departure(number, offset)
            return FlightBooking(confirmation: confirmation, customerID: customer, flight: flight, fareRule: rule,
                                 farePaid: flight.fare(for: rule), seat: seat)
        }
        bookings = [
            booking("BKQ431", "C-1001", "SB204", 5, economy, "14C"),
            booking("BKR518", "C-1001", "SB311", 12, economy, "22A"),
            booking("BKS602", "C-1002", "SB118", 3, basic, "9F"),
            booking("BKT275", "C-1002", "SB205", 8, business, "2A"),
            booking("BKU840", "C-1003", "SB312", 18, economy, "31B"),
        ]

        let harborView = Hotel(id: "HVNYC", name: "Harbor View Hotel", city: "New York",
                               address: "88 Water Street, New York, NY 10005", changeFee: Money(cents: 2500))
        let kensington = Hotel(id: "KGLON", name: "Kensington Gardens Hotel", city: "London",
                               address: "12 Bayswater Road, London W2 3PA", changeFee: Money(cents: 0))
        hotels = [harborView, kensington]
        let king = HotelRoom(hotelID: "HVNYC", roomType: "King", inventory: 2, nightlyRate: Money(cents: 28900))
        let queens = HotelRoom(hotelID: "HVNYC", roomType: "Double Queen", inventory: 6, nightlyRate: Money(cents: 24900))
        let double = HotelRoom(hotelID: "KGLON", roomType: "Double", inventory: 4, nightlyRate: Money(cents: 26500))
        let suite = HotelRoom(hotelID: "KGLON", roomType: "Junior Suite", inventory: 1, nightlyRate: Money(cents: 54000))
        rooms = [king, queens, double, suite]
        func stay(_ confirmation: String, _ customer: String, _ hotel: Hotel, _ room: HotelRoom, _ offset: Int, _ nights: Int) -> HotelReservation {
            HotelReservation(confirmation: confirmation, customerID: customer, hotel: hotel, roomType: room.roomType,
                             nightlyRate: room.nightlyRate, checkIn: today.adding(days: offset), nights: nights)
        }
        reservations = [
            stay("H204518", "C-1001", harborView, king, 5, 3),
            stay("H311702", "C-1001", kensington, double, 13, 4),
            stay("H402277", "C-1002", harborView, king, 20, 3),
            stay("H402291", "C-1003", harborView, king, 19, 4),
        ]
    }

    /// A route flown daily.
    private struct Route {
        var number: String
        var origin: String
        var destination: String
        var departs: String
        var arrives: String
        var gate: String
        var fareCents: Int
    }

    private static let routes = [
        Route(number: "SB204", origin: "SFO", destination: "JFK", departs: "08:15", arrives: "16:50", gate: "B12", fareCents: 32900),
        Route(number: "SB205", origin: "JFK", destination: "SFO", departs: "18:05", arrives: "21:40", gate: "22", fareCents: 31900),
        Route(number: "SB311", origin: "JFK", destination: "LHR", departs: "19:30", arrives: "07:45", gate: "7", fareCents: 61200),
        Route(number: "SB312", origin: "LHR", destination: "JFK", departs: "11:10", arrives: "14:05", gate: "A10", fareCents: 59800),
        Route(number: "SB118", origin: "SFO", destination: "LAX", departs: "07:00", arrives: "08:25", gate: "C3", fareCents: 12900),
        Route(number: "SB119", origin: "LAX", destination: "SFO", departs: "17:30", arrives: "18:55", gate: "41", fareCents: 12900),
    ]

    /// Departures that are not simply on time, by flight number and day offset.
    private static let disruptions: [String: [Int: (FlightStatus, Int)]] = [
        "SB204": [0: (.delayed, 40), 9: (.cancelled, 0)],
        "SB205": [4: (.delayed, 15)],
        "SB311": [1: (.delayed, 25)],
        "SB118": [2: (.cancelled, 0)],
    ]

    /// Departures with no seat left, by flight number and day offset.
    private static let soldOut: [String: Set<Int>] = ["SB204": [7], "SB312": [6]]

    private static func flight(_ route: Route, routeIndex: Int, date: CalendarDate, offset: Int) -> Flight {
        func cycle(_ value: Int, _ period: Int) -> Int { ((value % period) + period) % period }
        let (status, delay) = disruptions[route.number]?[offset] ?? (.onTime, 0)
        let seats = soldOut[route.number]?.contains(offset) == true ? 0 : 12 + cycle(offset * 13 + routeIndex * 5, 60)
        let fare = route.fareCents + cycle(offset * 7 + routeIndex * 3, 5) * 1500
        return Flight(number: route.number, date: date, origin: route.origin, destination: route.destination,
                      departureTime: route.departs, arrivalTime: route.arrives, gate: route.gate, status: status,
                      delayMinutes: delay, seatsTotal: 180, seatsAvailable: seats, baseFare: Money(cents: fare))
    }
}
