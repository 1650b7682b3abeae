using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Dpr.Actors.Journal;

/// <summary>
/// One statement prepared once on a kept-open connection and run through SQLite's own calls (bind, step, reset).
/// Why: per execution Microsoft.Data.Sqlite builds a data reader, a statement enumerator and a binder per value, and
/// each transaction prepares, runs and finalizes a command for <c>BEGIN</c> and another for <c>COMMIT</c>; the regions
/// journal commits twice per swap, and those objects were most of what its commits allocated (docs/benchmarks/regions.md,
/// session 12). Parameters are bound by position, from 1. Not thread-safe: one actor, or one loop, uses it.
/// </summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    /// <exception cref="SqliteException">The SQL does not compile against this database.</exception>
    public SqliteStatement(SqliteConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(_db, sql, out _statement), _db);
    }

    /// <summary>Whether the connection is inside a transaction (SQLite's autocommit mode is off).</summary>
    public bool InTransaction => raw.sqlite3_get_autocommit(_db) == 0;

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void Bind(int index, long? value) => Check(value is { } v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));

    public void Bind(int index, string? value) => Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text(_statement, index, value));

    public void Bind(int index, byte[] value) => Check(raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Runs the statement to its end and resets it; the bound values stay for the next run until rebound.</summary>
    /// <exception cref="SqliteException">SQLite refused it (<c>SQLITE_BUSY</c> once the connection's busy timeout has passed, a constraint, an I/O error).</exception>
    public void Run()
    {
        int rc;
        while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
        {
        }
        try
        {
            Check(rc);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Throws for an error code; <c>SQLITE_OK</c>, <c>SQLITE_ROW</c> and <c>SQLITE_DONE</c> pass.</summary>
    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);

    public void Dispose() => _statement.Dispose();
}
