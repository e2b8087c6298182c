-- 0005: no table of token counts (issue 17). Keeping it cost a row per
-- distinct token (112 bytes per patient: most of a patient's tokens, its
-- phone, birth date and record number, are its own) and two more writes
-- per posting. A lookup counts each of its few tokens' postings instead,
-- up to a cap, in the postings' own index (index.go).
DROP TRIGGER postings_added;
DROP TRIGGER postings_removed;
DROP TABLE token_counts;
