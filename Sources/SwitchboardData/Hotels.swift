/// A hotel of the demo business.
public struct Hotel: Sendable, Hashable {
    /// `HVNYC`.
    public var id: String
    /// `Harbor View Hotel`.
    public var name: String
    public var city: String
    public var address: String
    /// What changing the dates of a reservation costs.
    public var changeFee: Money

    public init(id: String, name: String, city: String, address: String, changeFee: Money) {
        self.id = id
        self.name = name
        self.city = city
        self.address = address
        self.changeFee = changeFee
    }
}

/// A room type of a hotel: how many such rooms there are and what a night costs.
public struct HotelRoom: Sendable, Hashable {
    public var hotelID: String
    /// `King`, `Double Queen`.
    public var roomType: String
    /// How many rooms of this type the hotel has.
    public var inventory: Int
    public var nightlyRate: Money

    public init(hotelID: String, roomType: String, inventory: Int, nightlyRate: Money) {
        self.hotelID = hotelID
        self.roomType = roomType
        self.inventory = inventory
        self.nightlyRate = nightlyRate
    }
}

/// Whether a hotel reservation still holds a room.
public enum ReservationStatus: String, Sendable, Hashable {
    case confirmed
    case cancelled
}

/// A customer's stay at a hotel.
public struct HotelReservation: Sendable, Hashable {
    /// `H204518`.
    public var confirmation: String
    public var customerID: String
    public var hotel: Hotel
    public var roomType: String
    /// The room type's current nightly rate.
    public var nightlyRate: Money
    public var checkIn: CalendarDate
    public var nights: Int
    public var status: ReservationStatus

    public init(
        confirmation: String, customerID: String, hotel: Hotel, roomType: String, nightlyRate: Money,
        checkIn: CalendarDate, nights: Int, status: ReservationStatus = .confirmed
    ) {
        self.confirmation = confirmation
        self.customerID = customerID
        self.hotel = hotel
        self.roomType = roomType
        self.nightlyRate = nightlyRate
        self.checkIn = checkIn
        self.nights = nights
        self.status = status
    }

    /// The morning the stay ends.
    public var checkOut: CalendarDate { checkIn.adding(days: nights) }
}
