/*
 * migrations_sqlite.c: the versioned schema of the SQLite backend. Entry N
 * of sqlite_migrations moves the database from version N to N + 1 (the
 * version lives in PRAGMA user_version). Entries are never edited once
 * released: a change is a new entry. tests/unit/test_store.c checks that
 * every field of entity.c has its column.
 *
 * Conventions: ids are INTEGER PRIMARY KEY AUTOINCREMENT (never reused),
 * datetimes are INTEGER microseconds since the epoch (UTC), booleans are
 * 0/1, JSON fields are compact JSON text. Foreign keys protect what they
 * point at (a DELETE of a referenced row fails), except that deleting a
 * benchmark deletes its associations and results, as in the original.
 */

#define NOW_US "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
#define STATE_COL "state TEXT NOT NULL DEFAULT 'DEVELOPMENT' CHECK (state IN ('DEVELOPMENT','OPERATION'))"
#define APPROVAL_COL "approval_status TEXT NOT NULL DEFAULT 'PENDING' " \
	"CHECK (approval_status IN ('PENDING','APPROVED','REJECTED'))"
#define TIMES "created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL"
#define COUNTED(t) \
	"INSERT INTO row_counts VALUES ('" t "', 0);" \
	"CREATE TRIGGER " t "_count_ins AFTER INSERT ON " t \
	" BEGIN UPDATE row_counts SET n = n + 1 WHERE tbl = '" t "'; END;" \
	"CREATE TRIGGER " t "_count_del AFTER DELETE ON " t \
	" BEGIN UPDATE row_counts SET n = n - 1 WHERE tbl = '" t "'; END;"

static const char migration_1[] =
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" username TEXT NOT NULL UNIQUE,"
	" email TEXT NOT NULL DEFAULT '',"
	" first_name TEXT NOT NULL DEFAULT '',"
	" last_name TEXT NOT NULL DEFAULT '',"
	" metadata TEXT NOT NULL DEFAULT '{}',"
	" is_admin INTEGER NOT NULL DEFAULT 0,"
	" is_active INTEGER NOT NULL DEFAULT 1,"
	" " TIMES ");"
	"CREATE INDEX users_email ON users(email);"

	"CREATE TABLE mlcube ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" container_config TEXT NOT NULL,"
	" parameters_config TEXT,"
	" image_hash TEXT NOT NULL,"
	" additional_files_tarball_url TEXT NOT NULL DEFAULT '',"
	" additional_files_tarball_hash TEXT NOT NULL DEFAULT '',"
	" " STATE_COL ","
	" is_valid INTEGER NOT NULL DEFAULT 1,"
	" metadata TEXT DEFAULT '{}',"
	" user_metadata TEXT DEFAULT '{}',"
	" " TIMES ","
	" owner INTEGER NOT NULL REFERENCES users(id),"
	" UNIQUE (image_hash, additional_files_tarball_hash, container_config, parameters_config));"
	"CREATE INDEX mlcube_owner ON mlcube(owner);"
	"CREATE INDEX mlcube_modified ON mlcube(modified_at, id);"

	"CREATE TABLE asset ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" asset_hash TEXT NOT NULL,"
	" asset_url TEXT NOT NULL,"
	" " STATE_COL ","
	" is_valid INTEGER NOT NULL DEFAULT 1,"
	" metadata TEXT DEFAULT '{}',"
	" user_metadata TEXT DEFAULT '{}',"
	" " TIMES ","
	" owner INTEGER NOT NULL REFERENCES users(id));"
	"CREATE INDEX asset_owner ON asset(owner);"
	"CREATE INDEX asset_modified ON asset(modified_at, id);"

	"CREATE TABLE model ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" container INTEGER UNIQUE REFERENCES mlcube(id),"
	" asset INTEGER UNIQUE REFERENCES asset(id),"
	" name TEXT NOT NULL UNIQUE,"
	" " STATE_COL ","
	" is_valid INTEGER NOT NULL DEFAULT 1,"
	" metadata TEXT DEFAULT '{}',"
	" user_metadata TEXT DEFAULT '{}',"
	" type TEXT NOT NULL CHECK (type IN ('ASSET','CONTAINER')),"
	" " TIMES ","
	" owner INTEGER NOT NULL REFERENCES users(id));"
	"CREATE INDEX model_owner ON model(owner);"
	"CREATE INDEX model_modified ON model(modified_at, id);"

	"CREATE TABLE benchmark ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" description TEXT NOT NULL DEFAULT '',"
	" docs_url TEXT NOT NULL DEFAULT '',"
	" demo_dataset_tarball_url TEXT NOT NULL,"
	" demo_dataset_tarball_hash TEXT NOT NULL,"
	" demo_dataset_generated_uid TEXT NOT NULL,"
	" metadata TEXT DEFAULT '{}',"
	" " STATE_COL ","
	" is_valid INTEGER NOT NULL DEFAULT 1,"
	" is_active INTEGER NOT NULL DEFAULT 1,"
	" " APPROVAL_COL ","
	" dataset_auto_approval_allow_list TEXT NOT NULL DEFAULT '[]',"
	" dataset_auto_approval_mode TEXT NOT NULL DEFAULT 'NEVER'"
	"  CHECK (dataset_auto_approval_mode IN ('NEVER','ALWAYS','ALLOWLIST')),"
	" model_auto_approval_allow_list TEXT NOT NULL DEFAULT '[]',"
	" model_auto_approval_mode TEXT NOT NULL DEFAULT 'NEVER'"
	"  CHECK (model_auto_approval_mode IN ('NEVER','ALWAYS','ALLOWLIST')),"
	" user_metadata TEXT DEFAULT '{}',"
	" approved_at INTEGER,"
	" " TIMES ","
	" owner INTEGER NOT NULL REFERENCES users(id),"
	" data_preparation_mlcube INTEGER NOT NULL REFERENCES mlcube(id),"
	" reference_model INTEGER NOT NULL REFERENCES model(id),"
	" data_evaluator_mlcube INTEGER NOT NULL REFERENCES mlcube(id));"
	"CREATE INDEX benchmark_owner ON benchmark(owner, approval_status);"
	"CREATE INDEX benchmark_modified ON benchmark(modified_at, id);"
	"CREATE INDEX benchmark_prep ON benchmark(data_preparation_mlcube);"
	"CREATE INDEX benchmark_ref ON benchmark(reference_model);"
	"CREATE INDEX benchmark_eval ON benchmark(data_evaluator_mlcube);"

	"CREATE TABLE dataset ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL,"
	" description TEXT NOT NULL DEFAULT '',"
	" location TEXT NOT NULL DEFAULT '',"
	" input_data_hash TEXT NOT NULL,"
	" generated_uid TEXT NOT NULL,"
	" split_seed INTEGER NOT NULL,"
	" is_valid INTEGER NOT NULL DEFAULT 1,"
	" submitted_as_prepared INTEGER NOT NULL,"
	" " STATE_COL ","
	" generated_metadata TEXT DEFAULT '{}',"
	" user_metadata TEXT DEFAULT '{}',"
	" report TEXT DEFAULT '{}',"
	" " TIMES ","
	" owner INTEGER NOT NULL REFERENCES users(id),"
	" data_preparation_mlcube INTEGER NOT NULL REFERENCES mlcube(id));"
	"CREATE UNIQUE INDEX dataset_operational_uid ON dataset(generated_uid)"
	" WHERE state = 'OPERATION';"
	"CREATE INDEX dataset_owner ON dataset(owner);"
	"CREATE INDEX dataset_prep ON dataset(data_preparation_mlcube);"
	"CREATE INDEX dataset_modified ON dataset(modified_at, id);"

	"CREATE TABLE benchmark_dataset ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" metadata TEXT NOT NULL DEFAULT '{}',"
	" " APPROVAL_COL ","
	" approved_at INTEGER,"
	" " TIMES ","
	" dataset INTEGER NOT NULL REFERENCES dataset(id),"
	" benchmark INTEGER NOT NULL REFERENCES benchmark(id) ON DELETE CASCADE,"
	" initiated_by INTEGER NOT NULL REFERENCES users(id));"
	"CREATE INDEX bd_pair ON benchmark_dataset(dataset, benchmark, created_at);"
	"CREATE INDEX bd_benchmark ON benchmark_dataset(benchmark, modified_at);"
	"CREATE INDEX bd_modified ON benchmark_dataset(modified_at, id);"

	"CREATE TABLE benchmark_model ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" metadata TEXT NOT NULL DEFAULT '{}',"
	" " APPROVAL_COL ","
	" approved_at INTEGER,"
	" priority INTEGER NOT NULL DEFAULT 0,"
	" " TIMES ","
	" model INTEGER NOT NULL REFERENCES model(id),"
	" benchmark INTEGER NOT NULL REFERENCES benchmark(id) ON DELETE CASCADE,"
	" initiated_by INTEGER NOT NULL REFERENCES users(id));"
	"CREATE INDEX bm_pair ON benchmark_model(model, benchmark, created_at);"
	"CREATE INDEX bm_benchmark ON benchmark_model(benchmark, priority);"

	"CREATE TABLE model_result ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL DEFAULT '',"
	" results TEXT NOT NULL DEFAULT '{}',"
	" finalized INTEGER NOT NULL DEFAULT 0,"
	" metadata TEXT NOT NULL DEFAULT '{}',"
	" user_metadata TEXT NOT NULL DEFAULT '{}',"
	" " APPROVAL_COL ","
	" is_valid INTEGER NOT NULL DEFAULT 1,"
	" model_report TEXT DEFAULT '{}',"
	" evaluation_report TEXT DEFAULT '{}',"
	" finalized_at INTEGER,"
	" approved_at INTEGER,"
	" " TIMES ","
	" owner INTEGER NOT NULL REFERENCES users(id),"
	" benchmark INTEGER NOT NULL REFERENCES benchmark(id) ON DELETE CASCADE,"
	" model INTEGER NOT NULL REFERENCES model(id),"
	" dataset INTEGER NOT NULL REFERENCES dataset(id));"
	"CREATE INDEX result_benchmark ON model_result(benchmark, modified_at);"
	"CREATE INDEX result_owner ON model_result(owner, modified_at);"
	"CREATE INDEX result_model ON model_result(model);"
	"CREATE INDEX result_dataset ON model_result(dataset);"
	"CREATE INDEX result_modified ON model_result(modified_at, id);"

	/*
	 * Whole-table row counts, kept by triggers: every unfiltered list page
	 * reports its count, and count(*) is a full index scan in SQLite.
	 */
	"CREATE TABLE row_counts (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
	COUNTED("users") COUNTED("mlcube") COUNTED("asset") COUNTED("model")
	COUNTED("benchmark") COUNTED("dataset") COUNTED("benchmark_dataset")
	COUNTED("benchmark_model") COUNTED("model_result")

	/* Seeds the original migrations create (reference 1.5). */
	"INSERT INTO users (id, username, email, is_admin, created_at, modified_at)"
	" VALUES (1, 'admin', '', 1, " NOW_US ", " NOW_US ");"
	"INSERT INTO mlcube (id, name, container_config, parameters_config, image_hash,"
	" state, owner, created_at, modified_at) VALUES (1, 'MedPerf CA',"
	" '{\"image\":\"mlcommons/medperf-test-ca:0.0.2\",\"tasks\":{"
	"\"get_client_cert\":{},\"get_server_cert\":{},\"trust\":{},\"verify_cert\":{}}}',"
	" NULL, 'sha256:0000000000000000000000000000000000000000000000000000000000000000', 'OPERATION', 1, " NOW_US ", " NOW_US ");";

const char *const sqlite_migrations[] = {
	migration_1,
};
const int sqlite_nmigrations = (int)(sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]));
