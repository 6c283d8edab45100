-- Riverside Dental: patients, dentists, bookable slots and appointments. Days are yyyy-MM-dd
-- text and times HH:MM text, so they sort and compare on both engines.
CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT
);

CREATE TABLE dentists (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    specialty TEXT NOT NULL
);

CREATE TABLE slots (
    id INTEGER PRIMARY KEY,
    dentist_id TEXT NOT NULL REFERENCES dentists(id),
    day TEXT NOT NULL,
    time TEXT NOT NULL,
    free INTEGER NOT NULL CHECK (free IN (0, 1)),
    UNIQUE (dentist_id, day, time)
);

CREATE TABLE appointments (
    code TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    slot_id INTEGER NOT NULL REFERENCES slots(id),
    reason TEXT NOT NULL CHECK (reason IN ('cleaning', 'checkup', 'toothache', 'whitening')),
    status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled'))
);

CREATE INDEX appointments_by_patient ON appointments(patient_id, status);
CREATE INDEX slots_by_day ON slots(day, free);
