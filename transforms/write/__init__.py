"""Write stage: every row gets its Hive-style partition (:mod:`.partition`) and is written as
zstd Parquet of the table's schema (:mod:`.schema`) under the run's staging folder
(:mod:`.parquet`); the driver commits the staged files all or nothing (:mod:`.commit`).
:mod:`.damage` tells a damaged output file from a sound one."""
