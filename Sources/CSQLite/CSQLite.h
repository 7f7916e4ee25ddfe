// The system's SQLite library (Debian: libsqlite3-dev), reached through its public C API.
#include <sqlite3.h>
