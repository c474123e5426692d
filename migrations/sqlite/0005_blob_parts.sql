-- Files larger than one part (64 MiB) are kept in parts: SQLite and PostgreSQL both refuse a single value
-- of 1 GB or more, and a 5,000,000-line JSON batch is 1.4 GB. Such a file's `blobs` row has empty content
-- and its bytes are the parts in `seq` order (docs/store.md).
CREATE TABLE blob_parts (
    digest  TEXT NOT NULL REFERENCES blobs (digest),
    seq     BIGINT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (digest, seq)
);
