using Dpr.Actors.Journal;
using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Tests.Journal;

/// <summary>
/// <see cref="SqliteStatement"/>: values bound by position are what is stored, a refused run throws SQLite's error and
/// leaves the statement ready for the next run, and a writer holding the file makes <c>BEGIN IMMEDIATE</c> fail busy.
/// </summary>
public sealed class SqliteStatementTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"dpr-statement-{Guid.NewGuid():N}.db");
    private readonly SqliteConnection _connection;

    public SqliteStatementTests()
    {
        _connection = new SqliteConnection(Connection(pooling: false));
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, n INTEGER);";
        create.ExecuteNonQuery();
    }

    [Fact]
    public void Values_bound_by_position_are_stored_and_rebinding_replaces_them()
    {
        using var insert = new SqliteStatement(_connection, "INSERT INTO t (id, name, data, n) VALUES ($id, $name, $data, $n);");
        insert.Bind(1, 1L);
        insert.Bind(2, "first");
        insert.Bind(3, new byte[] { 1, 2, 3 });
        insert.Bind(4, (long?)7);
        insert.Run();
        insert.Bind(1, 2L);
        insert.Bind(2, (string?)null);
        insert.Bind(4, (long?)null);
        insert.Run();

        Assert.Equal([(1L, "first", "010203", (long?)7), (2L, null, "010203", null)], Rows());
    }

    [Fact]
    public void A_refused_run_throws_sqlites_error_and_the_statement_runs_again_after_it()
    {
        using var insert = new SqliteStatement(_connection, "INSERT INTO t (id, name, data, n) VALUES ($id, 'x', x'00', 0);");
        insert.Bind(1, 1L);
        insert.Run();

        var refused = Assert.Throws<SqliteException>(insert.Run);
        Assert.Equal(SQLitePCL.raw.SQLITE_CONSTRAINT, refused.SqliteErrorCode);
        insert.Bind(1, 2L);
        insert.Run();
        Assert.Equal([1L, 2L], Rows().Select(r => r.Id));
    }

    [Fact]
    public void Begin_immediate_fails_busy_while_another_writer_holds_the_file_and_no_transaction_is_left_open()
    {
        SQLitePCL.raw.sqlite3_busy_timeout(_connection.Handle, 50);
        using var begin = new SqliteStatement(_connection, "BEGIN IMMEDIATE;");
        using (var other = new SqliteConnection(Connection(pooling: false)))
        {
            other.Open();
            using var hold = other.BeginTransaction(deferred: false);

            var busy = Assert.Throws<SqliteException>(begin.Run);
            Assert.Equal(SQLitePCL.raw.SQLITE_BUSY, busy.SqliteErrorCode);
            Assert.False(begin.InTransaction);
        }
        begin.Run();
        Assert.True(begin.InTransaction);
    }

    private string Connection(bool pooling) => new SqliteConnectionStringBuilder { DataSource = _path, Pooling = pooling }.ToString();

    private List<(long Id, string? Name, string Data, long? N)> Rows()
    {
        using var select = _connection.CreateCommand();
        select.CommandText = "SELECT id, name, data, n FROM t ORDER BY id;";
        using var reader = select.ExecuteReader();
        var rows = new List<(long, string?, string, long?)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), Convert.ToHexString((byte[])reader[2]), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
        }
        return rows;
    }

    public void Dispose()
    {
        _connection.Dispose();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_path)!, Path.GetFileName(_path) + "*"))
        {
            File.Delete(file);
        }
    }
}
