-- sqlite3 in the guest (kml.trusted/apps.exp): a database file with a
-- journal, a transaction, a join, an index and aggregates.
PRAGMA journal_mode = DELETE;
DROP TABLE IF EXISTS item;
DROP TABLE IF EXISTS kind;
CREATE TABLE kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE item (id INTEGER PRIMARY KEY, kind INTEGER REFERENCES kind,
                   value INTEGER, label TEXT);
INSERT INTO kind VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three');
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO item (kind, value, label)
  SELECT i % 4, (i * 7919) % 1009, printf('item-%05d', i) FROM n;
COMMIT;
CREATE INDEX item_value ON item (value);
SELECT k.name, count(*), sum(i.value), min(i.label), max(i.label)
  FROM item i JOIN kind k ON k.id = i.kind GROUP BY k.name ORDER BY k.name;
SELECT label, value FROM item WHERE value BETWEEN 500 AND 502 ORDER BY label;
UPDATE item SET value = value + 1 WHERE kind = 2;
DELETE FROM item WHERE value > 1000;
SELECT count(*), sum(value), total(value) / count(*) FROM item;
PRAGMA integrity_check;
