-- The largest things a run stores are kept zstd-compressed (crates/store/src/packed.rs): the store's
-- writer is bound by the bytes it writes. Digests stay over the uncompressed bytes.

-- A determination's JSON, compressed. New rows leave `determination` empty and fill this; rows written
-- before keep their text in `determination`, NULL here, and are read as before.
ALTER TABLE determinations ADD COLUMN determination_z BYTEA;

-- 'zstd' when the kept file's content (or part) is compressed; NULL: the bytes as they were read.
ALTER TABLE blobs ADD COLUMN encoding TEXT;
ALTER TABLE blob_parts ADD COLUMN encoding TEXT;

-- A lot picture's SVG, compressed; `svg` left empty (older rows: the text, NULL here).
ALTER TABLE lot_pictures ADD COLUMN svg_z BYTEA;
