-- sql/0001-create-schema.sql
--
-- Create the c2s schema that holds every table of the service.  The
-- application connects with an empty search_path and names every object
-- with its schema.  Later migrations add the tables.

CREATE SCHEMA IF NOT EXISTS c2s;

COMMENT ON SCHEMA c2s IS 'c2s-enrich: leads, persons, dossiers and their state';
