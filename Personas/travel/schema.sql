-- The travel pack's tables: Switchboard Air flights and bookings, partner hotels and their
-- reservations. Portable SQL for SQLite and PostgreSQL. Amounts are integer cents, days are
-- yyyy-MM-dd text, which sorts and compares as dates.

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT
);

-- One departure of a flight number on one day.
-- The airports the flights serve, with the city callers name them by.
CREATE TABLE airports (
    code TEXT PRIMARY KEY,
    city TEXT NOT NULL
);

CREATE TABLE flights (
    number TEXT NOT NULL,
    date TEXT NOT NULL,
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    departure_time TEXT NOT NULL,
    arrival_time TEXT NOT NULL,
    gate TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('on time', 'delayed', 'cancelled')),
    delay_minutes INTEGER NOT NULL DEFAULT 0 CHECK (delay_minutes >= 0),
    seats_total INTEGER NOT NULL CHECK (seats_total >= 0),
    seats_available INTEGER NOT NULL CHECK (seats_available BETWEEN 0 AND seats_total),
    base_fare_cents INTEGER NOT NULL CHECK (base_fare_cents >= 0),
    currency TEXT NOT NULL,
    PRIMARY KEY (number, date)
);

-- What a fare class costs (a percentage of the departure's base fare) and whether, and for how
-- much, it may be moved to another date.
CREATE TABLE fare_rules (
    fare_class TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    fare_percent INTEGER NOT NULL CHECK (fare_percent > 0),
    change_fee_cents INTEGER NOT NULL CHECK (change_fee_cents >= 0),
    changeable INTEGER NOT NULL CHECK (changeable IN (0, 1))
);

-- A customer's seat on one departure. A date change cancels the booking and points it at the
-- new one (replaced_by).
CREATE TABLE bookings (
    confirmation TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    flight_number TEXT NOT NULL,
    flight_date TEXT NOT NULL,
    fare_class TEXT NOT NULL REFERENCES fare_rules(fare_class),
    fare_paid_cents INTEGER NOT NULL CHECK (fare_paid_cents >= 0),
    seat TEXT,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    replaced_by TEXT REFERENCES bookings(confirmation),
    FOREIGN KEY (flight_number, flight_date) REFERENCES flights(number, date)
);

CREATE INDEX bookings_by_customer ON bookings(customer_id, flight_date);

CREATE TABLE hotels (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    address TEXT NOT NULL,
    change_fee_cents INTEGER NOT NULL CHECK (change_fee_cents >= 0),
    currency TEXT NOT NULL
);

-- A hotel's room types: how many rooms of the type there are and what a night costs.
CREATE TABLE hotel_rooms (
    hotel_id TEXT NOT NULL REFERENCES hotels(id),
    room_type TEXT NOT NULL,
    inventory INTEGER NOT NULL CHECK (inventory >= 0),
    nightly_rate_cents INTEGER NOT NULL CHECK (nightly_rate_cents >= 0),
    PRIMARY KEY (hotel_id, room_type)
);

-- A customer's stay. check_out is check_in + nights (the morning the stay ends).
CREATE TABLE reservations (
    confirmation TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    hotel_id TEXT NOT NULL,
    room_type TEXT NOT NULL,
    check_in TEXT NOT NULL,
    check_out TEXT NOT NULL CHECK (check_out > check_in),
    nights INTEGER NOT NULL CHECK (nights BETWEEN 1 AND 30),
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    FOREIGN KEY (hotel_id, room_type) REFERENCES hotel_rooms(hotel_id, room_type)
);

CREATE INDEX reservations_by_customer ON reservations(customer_id, check_in);

CREATE INDEX reservations_by_room ON reservations(hotel_id, room_type, check_in);
