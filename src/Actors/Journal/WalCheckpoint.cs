using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Journal;

/// <summary>
/// What <c>PRAGMA wal_checkpoint</c> reports (sqlite.org/pragma.html#pragma_wal_checkpoint): whether it was blocked,
/// the frames in the WAL, and how many of them are now copied into the database file.
/// </summary>
internal sealed record WalCheckpoint(bool Busy, long WalFrames, long Copied)
{
    /// <summary>Every frame of the WAL is in the database file: the next write starts the WAL from its beginning.</summary>
    public bool Complete => !Busy && WalFrames >= 0 && Copied == WalFrames;

    /// <summary>
    /// A <c>PASSIVE</c> checkpoint on <paramref name="connection"/>: copies what no reader still needs, waits for no one
    /// (another checkpoint under way makes it report <see cref="Busy"/>), and syncs the WAL and the database file.
    /// </summary>
    public static WalCheckpoint Passive(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        reader.Read();
        return new WalCheckpoint(reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2));
    }
}
