// The system's SQLite library (Debian: libsqlite3-dev), reached through its public C API.
#include <sqlite3.h>

// Turns off SQLite's memory-use statistics (Debian builds with SQLITE_DEFAULT_MEMSTATUS=1),
// which take a global mutex on every allocation. Must run before the first connection opens;
// sqlite3_config is variadic, so Swift calls it through this function.
static inline int csqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
