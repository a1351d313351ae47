-- Temporal's auto-setup creates its own databases; SomaGent's schema is created by the services'
-- migrations at start-up. Nothing else is needed here; the folder exists for site-specific grants.
SELECT 1;
