using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Journal;

/// <summary>
/// The regions journal's WAL regime on a kept-open SQLite connection: commits without fsync, no automatic checkpoint,
/// and a checkpoint cycle whose syncs all fall in one call (<see cref="Checkpoint"/>). <see cref="SqliteRegionsJournal"/>
/// runs it, and <c>dpr bench regions</c> runs the same calls without Akka to measure what the disk alone costs.
/// </summary>
public static class RegionsWal
{
    /// <summary>The WAL's size, in pages, at which the journal checkpoints right after the commit that reaches it when no idle moment came first (about 8 MB at 4 KiB pages).</summary>
    public const int HardBoundPages = 2000;

    /// <summary>Commits do not wait for fsync (WAL, <c>synchronous=NORMAL</c>), and the journal checkpoints itself.</summary>
    public static void Configure(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;";
        pragma.ExecuteNonQuery();
    }

    /// <summary>The pages the connection wrote since the last call, all of them WAL frames (SQLite's own count, reset by the call).</summary>
    public static long PagesWritten(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        SQLitePCL.raw.sqlite3_db_status(connection.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out var written, out _, 1);
        return written;
    }

    /// <summary>
    /// Copies the WAL into the database file and, when all of it is there, starts the WAL over at once with a write of
    /// its own, so that the sync of the new WAL header falls here too and not in the next insert. Returns the WAL's
    /// frames, the frames copied, and the pages that restart wrote (the new WAL's size).
    /// </summary>
    public static (long Frames, long Copied, long WalPages) Checkpoint(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        long frames, copied;
        using (var result = command.ExecuteReader())
        {
            // One row: busy (0), the WAL's frames, the frames copied into the database file.
            result.Read();
            (frames, copied) = (result.GetInt64(1), result.GetInt64(2));
        }
        if (frames == 0 || copied != frames)
        {
            return (frames, copied, 0);
        }
        // Any change starts the WAL over; setting user_version (which nothing else uses) to its value rewrites page 1.
        command.CommandText = "PRAGMA user_version;";
        var version = (long)command.ExecuteScalar()!;
        command.CommandText = $"PRAGMA user_version = {version};";
        command.ExecuteNonQuery();
        return (frames, copied, PagesWritten(connection));
    }
}
