-- 0007: a patient's blind index holds a pair term for two words of their
-- names (app/records: a family and given name search walks about 60
-- patients of 100,000 instead of 2,500; issue 17). Patients stored before
-- lack them until indexed again: the replica does it on open, reading
-- only the patients' states (meta 'store/reindex' names the kinds; one
-- byte 1 asks for every record and is kept when already asked).
INSERT INTO meta (key, value)
SELECT 'store/reindex', CAST('patient' AS BLOB)
WHERE EXISTS (SELECT 1 FROM entities WHERE kind = (SELECT n FROM names WHERE name = 'patient'))
ON CONFLICT (key) DO NOTHING;
