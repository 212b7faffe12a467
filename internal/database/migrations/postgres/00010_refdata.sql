-- +goose Up
-- Reference data (package internal/refdata): loaded from the CSV files embedded in the binary,
-- upserted by code, never deleted (other tables point at communes and appellations).
CREATE TABLE regions (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    lat       DOUBLE PRECISION NOT NULL,
    lng       DOUBLE PRECISION NOT NULL,
    chef_lieu TEXT NOT NULL
);

CREATE TABLE departements (
    code      TEXT PRIMARY KEY,
    region    TEXT NOT NULL REFERENCES regions (code),
    name      TEXT NOT NULL,
    lat       DOUBLE PRECISION NOT NULL,
    lng       DOUBLE PRECISION NOT NULL,
    chef_lieu TEXT NOT NULL
);
CREATE INDEX departements_region ON departements (region);

-- postcodes is space separated ("42000 42100"); lat/lng are NULL for the few communes without a
-- published centre; parent is set exactly for arrondissements (ARM).
CREATE TABLE communes (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('COM', 'ARM')),
    departement TEXT NOT NULL REFERENCES departements (code),
    region      TEXT NOT NULL REFERENCES regions (code),
    postcodes   TEXT NOT NULL,
    lat         DOUBLE PRECISION CHECK (lat BETWEEN -90 AND 90),
    lng         DOUBLE PRECISION CHECK (lng BETWEEN -180 AND 180),
    population  INTEGER NOT NULL CHECK (population >= 0),
    parent      TEXT REFERENCES communes (code),
    CHECK ((lat IS NULL) = (lng IS NULL)),
    CHECK ((type = 'ARM') = (parent IS NOT NULL))
);
CREATE INDEX communes_departement ON communes (departement);
-- Distance searches pre-filter on a bounding box (refdata.BoundingBox) before the exact distance.
CREATE INDEX communes_lat_lng ON communes (lat, lng);
CREATE INDEX communes_parent ON communes (parent);

CREATE TABLE rome_codes (
    code  TEXT PRIMARY KEY,
    label TEXT NOT NULL
);

CREATE TABLE appellations (
    code  TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    rome  TEXT NOT NULL REFERENCES rome_codes (code)
);
CREATE INDEX appellations_rome ON appellations (rome);

-- +goose Down
DROP TABLE appellations;
DROP TABLE rome_codes;
DROP TABLE communes;
DROP TABLE departements;
DROP TABLE regions;
