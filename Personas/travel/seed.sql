-- The demo business every new travel database is seeded with, every date relative to :today
-- (the day the database is created). Flights run every day from :today - 3 to :today + 30 on six
-- routes. Alex Morgan (C-1001, the demo caller) flies SFO-JFK on SB204 in 5 days (BKQ431) and
-- JFK-LHR on SB311 in 12 (BKR518), staying at the Harbor View Hotel (H204518) and the Kensington
-- Gardens Hotel (H311702). Sam Rivera (C-1002) and Jordan Lee (C-1003) have bookings of their
-- own. Some departures are delayed, cancelled or sold out, and the Harbor View's King rooms are
-- sold out from :today + 20 to :today + 22, so every answer a tool can give can be heard.

INSERT INTO customers (id, name, email, phone) VALUES
    ('C-1001', 'Alex Morgan', 'alex.morgan@example.com', '+1 415 555 0142'),
    ('C-1002', 'Sam Rivera', 'sam.rivera@example.com', '+1 212 555 0187'),
    ('C-1003', 'Jordan Lee', 'jordan.lee@example.com', '+44 20 7946 0321');

INSERT INTO airports (code, city) VALUES
    ('SFO', 'San Francisco'),
    ('JFK', 'New York'),
    ('LHR', 'London'),
    ('LAX', 'Los Angeles');

INSERT INTO fare_rules (fare_class, name, fare_percent, change_fee_cents, changeable) VALUES
    ('Y', 'Economy', 100, 7500, 1),
    ('B', 'Basic Economy', 80, 0, 0),
    ('J', 'Business', 300, 0, 1);

-- Each route daily. Seats: 12 + ((offset * 13 + route * 5) mod 60), none on a sold-out day.
-- Base fare: the route's fare + ((offset * 7 + route * 3) mod 5) * 15.00 (route 0 to 5 in this
-- order). Disruptions: SB204 delayed 40 minutes today and cancelled in 9 days, SB205 delayed 15
-- minutes in 4 days, SB311 delayed 25 minutes tomorrow, SB118 cancelled in 2 days. Sold out:
-- SB204 in 7 days, SB312 in 6 days.

-- SB204 SFO-JFK, departs 08:15, arrives 16:50, gate B12, fare 329.00
INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status, delay_minutes, seats_total, seats_available, base_fare_cents, currency) VALUES
    ('SB204', add_days(:today, -3), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 33, 38900, 'USD'),
    ('SB204', add_days(:today, -2), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 46, 34400, 'USD'),
    ('SB204', add_days(:today, -1), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 59, 37400, 'USD'),
    ('SB204', :today, 'SFO', 'JFK', '08:15', '16:50', 'B12', 'delayed', 40, 180, 12, 32900, 'USD'),
    ('SB204', add_days(:today, 1), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 25, 35900, 'USD'),
    ('SB204', add_days(:today, 2), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 38, 38900, 'USD'),
    ('SB204', add_days(:today, 3), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 51, 34400, 'USD'),
    ('SB204', add_days(:today, 4), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 64, 37400, 'USD'),
    ('SB204', add_days(:today, 5), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 17, 32900, 'USD'),
    ('SB204', add_days(:today, 6), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 30, 35900, 'USD'),
    ('SB204', add_days(:today, 7), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 0, 38900, 'USD'),
    ('SB204', add_days(:today, 8), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 56, 34400, 'USD'),
    ('SB204', add_days(:today, 9), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'cancelled', 0, 180, 69, 37400, 'USD'),
    ('SB204', add_days(:today, 10), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 22, 32900, 'USD'),
    ('SB204', add_days(:today, 11), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 35, 35900, 'USD'),
    ('SB204', add_days(:today, 12), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 48, 38900, 'USD'),
    ('SB204', add_days(:today, 13), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 61, 34400, 'USD'),
    ('SB204', add_days(:today, 14), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 14, 37400, 'USD'),
    ('SB204', add_days(:today, 15), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 27, 32900, 'USD'),
    ('SB204', add_days(:today, 16), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 40, 35900, 'USD'),
    ('SB204', add_days(:today, 17), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 53, 38900, 'USD'),
    ('SB204', add_days(:today, 18), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 66, 34400, 'USD'),
    ('SB204', add_days(:today, 19), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 19, 37400, 'USD'),
    ('SB204', add_days(:today, 20), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 32, 32900, 'USD'),
    ('SB204', add_days(:today, 21), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 45, 35900, 'USD'),
    ('SB204', add_days(:today, 22), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 58, 38900, 'USD'),
    ('SB204', add_days(:today, 23), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 71, 34400, 'USD'),
    ('SB204', add_days(:today, 24), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 24, 37400, 'USD'),
    ('SB204', add_days(:today, 25), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 37, 32900, 'USD'),
    ('SB204', add_days(:today, 26), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 50, 35900, 'USD'),
    ('SB204', add_days(:today, 27), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 63, 38900, 'USD'),
    ('SB204', add_days(:today, 28), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 16, 34400, 'USD'),
    ('SB204', add_days(:today, 29), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 29, 37400, 'USD'),
    ('SB204', add_days(:today, 30), 'SFO', 'JFK', '08:15', '16:50', 'B12', 'on time', 0, 180, 42, 32900, 'USD');

-- SB205 JFK-SFO, departs 18:05, arrives 21:40, gate 22, fare 319.00
INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status, delay_minutes, seats_total, seats_available, base_fare_cents, currency) VALUES
    ('SB205', add_days(:today, -3), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 38, 34900, 'USD'),
    ('SB205', add_days(:today, -2), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 51, 37900, 'USD'),
    ('SB205', add_days(:today, -1), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 64, 33400, 'USD'),
    ('SB205', :today, 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 17, 36400, 'USD'),
    ('SB205', add_days(:today, 1), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 30, 31900, 'USD'),
    ('SB205', add_days(:today, 2), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 43, 34900, 'USD'),
    ('SB205', add_days(:today, 3), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 56, 37900, 'USD'),
    ('SB205', add_days(:today, 4), 'JFK', 'SFO', '18:05', '21:40', '22', 'delayed', 15, 180, 69, 33400, 'USD'),
    ('SB205', add_days(:today, 5), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 22, 36400, 'USD'),
    ('SB205', add_days(:today, 6), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 35, 31900, 'USD'),
    ('SB205', add_days(:today, 7), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 48, 34900, 'USD'),
    ('SB205', add_days(:today, 8), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 61, 37900, 'USD'),
    ('SB205', add_days(:today, 9), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 14, 33400, 'USD'),
    ('SB205', add_days(:today, 10), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 27, 36400, 'USD'),
    ('SB205', add_days(:today, 11), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 40, 31900, 'USD'),
    ('SB205', add_days(:today, 12), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 53, 34900, 'USD'),
    ('SB205', add_days(:today, 13), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 66, 37900, 'USD'),
    ('SB205', add_days(:today, 14), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 19, 33400, 'USD'),
    ('SB205', add_days(:today, 15), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 32, 36400, 'USD'),
    ('SB205', add_days(:today, 16), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 45, 31900, 'USD'),
    ('SB205', add_days(:today, 17), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 58, 34900, 'USD'),
    ('SB205', add_days(:today, 18), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 71, 37900, 'USD'),
    ('SB205', add_days(:today, 19), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 24, 33400, 'USD'),
    ('SB205', add_days(:today, 20), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 37, 36400, 'USD'),
    ('SB205', add_days(:today, 21), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 50, 31900, 'USD'),
    ('SB205', add_days(:today, 22), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 63, 34900, 'USD'),
    ('SB205', add_days(:today, 23), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 16, 37900, 'USD'),
    ('SB205', add_days(:today, 24), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 29, 33400, 'USD'),
    ('SB205', add_days(:today, 25), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 42, 36400, 'USD'),
    ('SB205', add_days(:today, 26), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 55, 31900, 'USD'),
    ('SB205', add_days(:today, 27), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 68, 34900, 'USD'),
    ('SB205', add_days(:today, 28), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 21, 37900, 'USD'),
    ('SB205', add_days(:today, 29), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 34, 33400, 'USD'),
    ('SB205', add_days(:today, 30), 'JFK', 'SFO', '18:05', '21:40', '22', 'on time', 0, 180, 47, 36400, 'USD');

-- SB311 JFK-LHR, departs 19:30, arrives 07:45, gate 7, fare 612.00
INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status, delay_minutes, seats_total, seats_available, base_fare_cents, currency) VALUES
    ('SB311', add_days(:today, -3), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 43, 61200, 'USD'),
    ('SB311', add_days(:today, -2), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 56, 64200, 'USD'),
    ('SB311', add_days(:today, -1), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 69, 67200, 'USD'),
    ('SB311', :today, 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 22, 62700, 'USD'),
    ('SB311', add_days(:today, 1), 'JFK', 'LHR', '19:30', '07:45', '7', 'delayed', 25, 180, 35, 65700, 'USD'),
    ('SB311', add_days(:today, 2), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 48, 61200, 'USD'),
    ('SB311', add_days(:today, 3), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 61, 64200, 'USD'),
    ('SB311', add_days(:today, 4), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 14, 67200, 'USD'),
    ('SB311', add_days(:today, 5), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 27, 62700, 'USD'),
    ('SB311', add_days(:today, 6), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 40, 65700, 'USD'),
    ('SB311', add_days(:today, 7), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 53, 61200, 'USD'),
    ('SB311', add_days(:today, 8), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 66, 64200, 'USD'),
    ('SB311', add_days(:today, 9), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 19, 67200, 'USD'),
    ('SB311', add_days(:today, 10), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 32, 62700, 'USD'),
    ('SB311', add_days(:today, 11), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 45, 65700, 'USD'),
    ('SB311', add_days(:today, 12), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 58, 61200, 'USD'),
    ('SB311', add_days(:today, 13), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 71, 64200, 'USD'),
    ('SB311', add_days(:today, 14), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 24, 67200, 'USD'),
    ('SB311', add_days(:today, 15), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 37, 62700, 'USD'),
    ('SB311', add_days(:today, 16), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 50, 65700, 'USD'),
    ('SB311', add_days(:today, 17), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 63, 61200, 'USD'),
    ('SB311', add_days(:today, 18), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 16, 64200, 'USD'),
    ('SB311', add_days(:today, 19), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 29, 67200, 'USD'),
    ('SB311', add_days(:today, 20), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 42, 62700, 'USD'),
    ('SB311', add_days(:today, 21), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 55, 65700, 'USD'),
    ('SB311', add_days(:today, 22), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 68, 61200, 'USD'),
    ('SB311', add_days(:today, 23), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 21, 64200, 'USD'),
    ('SB311', add_days(:today, 24), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 34, 67200, 'USD'),
    ('SB311', add_days(:today, 25), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 47, 62700, 'USD'),
    ('SB311', add_days(:today, 26), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 60, 65700, 'USD'),
    ('SB311', add_days(:today, 27), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 13, 61200, 'USD'),
    ('SB311', add_days(:today, 28), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 26, 64200, 'USD'),
    ('SB311', add_days(:today, 29), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 39, 67200, 'USD'),
    ('SB311', add_days(:today, 30), 'JFK', 'LHR', '19:30', '07:45', '7', 'on time', 0, 180, 52, 62700, 'USD');

-- SB312 LHR-JFK, departs 11:10, arrives 14:05, gate A10, fare 598.00
INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status, delay_minutes, seats_total, seats_available, base_fare_cents, currency) VALUES
    ('SB312', add_days(:today, -3), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 48, 64300, 'USD'),
    ('SB312', add_days(:today, -2), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 61, 59800, 'USD'),
    ('SB312', add_days(:today, -1), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 14, 62800, 'USD'),
    ('SB312', :today, 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 27, 65800, 'USD'),
    ('SB312', add_days(:today, 1), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 40, 61300, 'USD'),
    ('SB312', add_days(:today, 2), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 53, 64300, 'USD'),
    ('SB312', add_days(:today, 3), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 66, 59800, 'USD'),
    ('SB312', add_days(:today, 4), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 19, 62800, 'USD'),
    ('SB312', add_days(:today, 5), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 32, 65800, 'USD'),
    ('SB312', add_days(:today, 6), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 0, 61300, 'USD'),
    ('SB312', add_days(:today, 7), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 58, 64300, 'USD'),
    ('SB312', add_days(:today, 8), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 71, 59800, 'USD'),
    ('SB312', add_days(:today, 9), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 24, 62800, 'USD'),
    ('SB312', add_days(:today, 10), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 37, 65800, 'USD'),
    ('SB312', add_days(:today, 11), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 50, 61300, 'USD'),
    ('SB312', add_days(:today, 12), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 63, 64300, 'USD'),
    ('SB312', add_days(:today, 13), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 16, 59800, 'USD'),
    ('SB312', add_days(:today, 14), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 29, 62800, 'USD'),
    ('SB312', add_days(:today, 15), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 42, 65800, 'USD'),
    ('SB312', add_days(:today, 16), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 55, 61300, 'USD'),
    ('SB312', add_days(:today, 17), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 68, 64300, 'USD'),
    ('SB312', add_days(:today, 18), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 21, 59800, 'USD'),
    ('SB312', add_days(:today, 19), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 34, 62800, 'USD'),
    ('SB312', add_days(:today, 20), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 47, 65800, 'USD'),
    ('SB312', add_days(:today, 21), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 60, 61300, 'USD'),
    ('SB312', add_days(:today, 22), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 13, 64300, 'USD'),
    ('SB312', add_days(:today, 23), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 26, 59800, 'USD'),
    ('SB312', add_days(:today, 24), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 39, 62800, 'USD'),
    ('SB312', add_days(:today, 25), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 52, 65800, 'USD'),
    ('SB312', add_days(:today, 26), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 65, 61300, 'USD'),
    ('SB312', add_days(:today, 27), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 18, 64300, 'USD'),
    ('SB312', add_days(:today, 28), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 31, 59800, 'USD'),
    ('SB312', add_days(:today, 29), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 44, 62800, 'USD'),
    ('SB312', add_days(:today, 30), 'LHR', 'JFK', '11:10', '14:05', 'A10', 'on time', 0, 180, 57, 65800, 'USD');

-- SB118 SFO-LAX, departs 07:00, arrives 08:25, gate C3, fare 129.00
INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status, delay_minutes, seats_total, seats_available, base_fare_cents, currency) VALUES
    ('SB118', add_days(:today, -3), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 53, 14400, 'USD'),
    ('SB118', add_days(:today, -2), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 66, 17400, 'USD'),
    ('SB118', add_days(:today, -1), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 19, 12900, 'USD'),
    ('SB118', :today, 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 32, 15900, 'USD'),
    ('SB118', add_days(:today, 1), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 45, 18900, 'USD'),
    ('SB118', add_days(:today, 2), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'cancelled', 0, 180, 58, 14400, 'USD'),
    ('SB118', add_days(:today, 3), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 71, 17400, 'USD'),
    ('SB118', add_days(:today, 4), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 24, 12900, 'USD'),
    ('SB118', add_days(:today, 5), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 37, 15900, 'USD'),
    ('SB118', add_days(:today, 6), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 50, 18900, 'USD'),
    ('SB118', add_days(:today, 7), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 63, 14400, 'USD'),
    ('SB118', add_days(:today, 8), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 16, 17400, 'USD'),
    ('SB118', add_days(:today, 9), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 29, 12900, 'USD'),
    ('SB118', add_days(:today, 10), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 42, 15900, 'USD'),
    ('SB118', add_days(:today, 11), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 55, 18900, 'USD'),
    ('SB118', add_days(:today, 12), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 68, 14400, 'USD'),
    ('SB118', add_days(:today, 13), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 21, 17400, 'USD'),
    ('SB118', add_days(:today, 14), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 34, 12900, 'USD'),
    ('SB118', add_days(:today, 15), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 47, 15900, 'USD'),
    ('SB118', add_days(:today, 16), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 60, 18900, 'USD'),
    ('SB118', add_days(:today, 17), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 13, 14400, 'USD'),
    ('SB118', add_days(:today, 18), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 26, 17400, 'USD'),
    ('SB118', add_days(:today, 19), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 39, 12900, 'USD'),
    ('SB118', add_days(:today, 20), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 52, 15900, 'USD'),
    ('SB118', add_days(:today, 21), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 65, 18900, 'USD'),
    ('SB118', add_days(:today, 22), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 18, 14400, 'USD'),
    ('SB118', add_days(:today, 23), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 31, 17400, 'USD'),
    ('SB118', add_days(:today, 24), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 44, 12900, 'USD'),
    ('SB118', add_days(:today, 25), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 57, 15900, 'USD'),
    ('SB118', add_days(:today, 26), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 70, 18900, 'USD'),
    ('SB118', add_days(:today, 27), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 23, 14400, 'USD'),
    ('SB118', add_days(:today, 28), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 36, 17400, 'USD'),
    ('SB118', add_days(:today, 29), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 49, 12900, 'USD'),
    ('SB118', add_days(:today, 30), 'SFO', 'LAX', '07:00', '08:25', 'C3', 'on time', 0, 180, 62, 15900, 'USD');

-- SB119 LAX-SFO, departs 17:30, arrives 18:55, gate 41, fare 129.00
INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status, delay_minutes, seats_total, seats_available, base_fare_cents, currency) VALUES
    ('SB119', add_days(:today, -3), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 58, 18900, 'USD'),
    ('SB119', add_days(:today, -2), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 71, 14400, 'USD'),
    ('SB119', add_days(:today, -1), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 24, 17400, 'USD'),
    ('SB119', :today, 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 37, 12900, 'USD'),
    ('SB119', add_days(:today, 1), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 50, 15900, 'USD'),
    ('SB119', add_days(:today, 2), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 63, 18900, 'USD'),
    ('SB119', add_days(:today, 3), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 16, 14400, 'USD'),
    ('SB119', add_days(:today, 4), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 29, 17400, 'USD'),
    ('SB119', add_days(:today, 5), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 42, 12900, 'USD'),
    ('SB119', add_days(:today, 6), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 55, 15900, 'USD'),
    ('SB119', add_days(:today, 7), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 68, 18900, 'USD'),
    ('SB119', add_days(:today, 8), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 21, 14400, 'USD'),
    ('SB119', add_days(:today, 9), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 34, 17400, 'USD'),
    ('SB119', add_days(:today, 10), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 47, 12900, 'USD'),
    ('SB119', add_days(:today, 11), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 60, 15900, 'USD'),
    ('SB119', add_days(:today, 12), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 13, 18900, 'USD'),
    ('SB119', add_days(:today, 13), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 26, 14400, 'USD'),
    ('SB119', add_days(:today, 14), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 39, 17400, 'USD'),
    ('SB119', add_days(:today, 15), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 52, 12900, 'USD'),
    ('SB119', add_days(:today, 16), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 65, 15900, 'USD'),
    ('SB119', add_days(:today, 17), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 18, 18900, 'USD'),
    ('SB119', add_days(:today, 18), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 31, 14400, 'USD'),
    ('SB119', add_days(:today, 19), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 44, 17400, 'USD'),
    ('SB119', add_days(:today, 20), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 57, 12900, 'USD'),
    ('SB119', add_days(:today, 21), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 70, 15900, 'USD'),
    ('SB119', add_days(:today, 22), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 23, 18900, 'USD'),
    ('SB119', add_days(:today, 23), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 36, 14400, 'USD'),
    ('SB119', add_days(:today, 24), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 49, 17400, 'USD'),
    ('SB119', add_days(:today, 25), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 62, 12900, 'USD'),
    ('SB119', add_days(:today, 26), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 15, 15900, 'USD'),
    ('SB119', add_days(:today, 27), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 28, 18900, 'USD'),
    ('SB119', add_days(:today, 28), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 41, 14400, 'USD'),
    ('SB119', add_days(:today, 29), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 54, 17400, 'USD'),
    ('SB119', add_days(:today, 30), 'LAX', 'SFO', '17:30', '18:55', '41', 'on time', 0, 180, 67, 12900, 'USD');

-- Bookings pay their fare class's share of the departure's base fare:
-- base_fare_cents * fare_percent / 100, in whole cents (integer division).
INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
SELECT 'BKQ431', 'C-1001', f.number, f.date, r.fare_class, f.base_fare_cents * r.fare_percent / 100, '14C', 'confirmed'
FROM flights f JOIN fare_rules r ON r.fare_class = 'Y'
WHERE f.number = 'SB204' AND f.date = add_days(:today, 5);

INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
SELECT 'BKR518', 'C-1001', f.number, f.date, r.fare_class, f.base_fare_cents * r.fare_percent / 100, '22A', 'confirmed'
FROM flights f JOIN fare_rules r ON r.fare_class = 'Y'
WHERE f.number = 'SB311' AND f.date = add_days(:today, 12);

INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
SELECT 'BKS602', 'C-1002', f.number, f.date, r.fare_class, f.base_fare_cents * r.fare_percent / 100, '9F', 'confirmed'
FROM flights f JOIN fare_rules r ON r.fare_class = 'B'
WHERE f.number = 'SB118' AND f.date = add_days(:today, 3);

INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
SELECT 'BKT275', 'C-1002', f.number, f.date, r.fare_class, f.base_fare_cents * r.fare_percent / 100, '2A', 'confirmed'
FROM flights f JOIN fare_rules r ON r.fare_class = 'J'
WHERE f.number = 'SB205' AND f.date = add_days(:today, 8);

INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
SELECT 'BKU840', 'C-1003', f.number, f.date, r.fare_class, f.base_fare_cents * r.fare_percent / 100, '31B', 'confirmed'
FROM flights f JOIN fare_rules r ON r.fare_class = 'Y'
WHERE f.number = 'SB312' AND f.date = add_days(:today, 18);

INSERT INTO hotels (id, name, city, address, change_fee_cents, currency) VALUES
    ('HVNYC', 'Harbor View Hotel', 'New York', '88 Water Street, New York, NY 10005', 2500, 'USD'),
    ('KGLON', 'Kensington Gardens Hotel', 'London', '12 Bayswater Road, London W2 3PA', 0, 'USD');

INSERT INTO hotel_rooms (hotel_id, room_type, inventory, nightly_rate_cents) VALUES
    ('HVNYC', 'King', 2, 28900),
    ('HVNYC', 'Double Queen', 6, 24900),
    ('KGLON', 'Double', 4, 26500),
    ('KGLON', 'Junior Suite', 1, 54000);

-- Stays: check_out is check_in + nights. H402277 and H402291 take both Harbor View King rooms
-- from :today + 20 to :today + 22.
INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status) VALUES
    ('H204518', 'C-1001', 'HVNYC', 'King', add_days(:today, 5), add_days(:today, 8), 3, 'confirmed'),
    ('H311702', 'C-1001', 'KGLON', 'Double', add_days(:today, 13), add_days(:today, 17), 4, 'confirmed'),
    ('H402277', 'C-1002', 'HVNYC', 'King', add_days(:today, 20), add_days(:today, 23), 3, 'confirmed'),
    ('H402291', 'C-1003', 'HVNYC', 'King', add_days(:today, 19), add_days(:today, 23), 4, 'confirmed');
