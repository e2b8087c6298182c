-- 0008: entity ids in hex kept as their bytes (issue 17: bytes per
-- patient). entity_numbers is the one place a record's id is kept (0006);
-- a random id's 32 hex characters become 16 bytes there and in its index,
-- about 32 bytes less per record. Ids in any other form stay text
-- (sync/store/names.go, idKey).
UPDATE entity_numbers SET id = unhex(id)
WHERE length(id) > 0 AND length(id) % 2 = 0 AND id NOT GLOB '*[^0-9a-f]*';
