-- Demo rows, relative to the day the database is made. Alex Morgan (C-1001, the demo caller)
-- has a cleaning in two days (A1001); Sam Rivera (C-1002) a checkup in three days (A1002).
INSERT INTO patients (id, name, phone) VALUES
    ('C-1001', 'Alex Morgan', '+14155550142'),
    ('C-1002', 'Sam Rivera', '+12125550187'),
    ('C-1003', 'Jordan Lee', '+13125550163');

INSERT INTO dentists (id, name, specialty) VALUES
    ('D1', 'Doctor Patel', 'general dentistry'),
    ('D2', 'Doctor Nguyen', 'hygiene and whitening');

-- Four slots a day for each dentist, from tomorrow for five days.
INSERT INTO slots (id, dentist_id, day, time, free) VALUES
    (1, 'D1', add_days(:today, 1), '09:00', 1),
    (2, 'D1', add_days(:today, 1), '10:30', 1),
    (3, 'D1', add_days(:today, 1), '14:00', 1),
    (4, 'D1', add_days(:today, 1), '15:30', 1),
    (5, 'D2', add_days(:today, 1), '09:00', 1),
    (6, 'D2', add_days(:today, 1), '10:30', 1),
    (7, 'D2', add_days(:today, 1), '14:00', 1),
    (8, 'D2', add_days(:today, 1), '15:30', 1),
    (9, 'D1', add_days(:today, 2), '09:00', 1),
    (10, 'D1', add_days(:today, 2), '10:30', 1),
    (11, 'D1', add_days(:today, 2), '14:00', 1),
    (12, 'D1', add_days(:today, 2), '15:30', 1),
    (13, 'D2', add_days(:today, 2), '09:00', 1),
    (14, 'D2', add_days(:today, 2), '10:30', 1),
    (15, 'D2', add_days(:today, 2), '14:00', 1),
    (16, 'D2', add_days(:today, 2), '15:30', 1),
    (17, 'D1', add_days(:today, 3), '09:00', 1),
    (18, 'D1', add_days(:today, 3), '10:30', 1),
    (19, 'D1', add_days(:today, 3), '14:00', 1),
    (20, 'D1', add_days(:today, 3), '15:30', 1),
    (21, 'D2', add_days(:today, 3), '09:00', 1),
    (22, 'D2', add_days(:today, 3), '10:30', 1),
    (23, 'D2', add_days(:today, 3), '14:00', 1),
    (24, 'D2', add_days(:today, 3), '15:30', 1),
    (25, 'D1', add_days(:today, 4), '09:00', 1),
    (26, 'D1', add_days(:today, 4), '10:30', 1),
    (27, 'D1', add_days(:today, 4), '14:00', 1),
    (28, 'D1', add_days(:today, 4), '15:30', 1),
    (29, 'D2', add_days(:today, 4), '09:00', 1),
    (30, 'D2', add_days(:today, 4), '10:30', 1),
    (31, 'D2', add_days(:today, 4), '14:00', 1),
    (32, 'D2', add_days(:today, 4), '15:30', 1),
    (33, 'D1', add_days(:today, 5), '09:00', 1),
    (34, 'D1', add_days(:today, 5), '10:30', 1),
    (35, 'D1', add_days(:today, 5), '14:00', 1),
    (36, 'D1', add_days(:today, 5), '15:30', 1),
    (37, 'D2', add_days(:today, 5), '09:00', 1),
    (38, 'D2', add_days(:today, 5), '10:30', 1),
    (39, 'D2', add_days(:today, 5), '14:00', 1),
    (40, 'D2', add_days(:today, 5), '15:30', 1);

-- Slot 9 is Doctor Patel at 09:00 in two days, slot 19 Doctor Patel at 14:00 in three days.
UPDATE slots SET free = 0 WHERE id IN (9, 19);
INSERT INTO appointments (code, patient_id, slot_id, reason, status) VALUES
    ('A1001', 'C-1001', 9, 'cleaning', 'booked'),
    ('A1002', 'C-1002', 19, 'checkup', 'booked');
