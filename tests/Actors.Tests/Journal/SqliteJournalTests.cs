using Dpr.Actors.Journal;

namespace Dpr.Actors.Tests.Journal;

/// <summary>The real journal: events written through Akka.Persistence.Sql to SQLite survive the actor system.</summary>
public sealed class SqliteJournalTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-journal-{Guid.NewGuid():N}");

    [Fact]
    public async Task Swaps_are_recovered_from_sqlite_after_a_restart()
    {
        await JournalRecovery.SwapsSurviveARestart(JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db")));

        // The region managers' events are in their own file (docs/actors.md).
        Assert.True(new FileInfo(Path.Combine(_directory, "dpr.regions.db")).Length > 0);
    }

    [Fact]
    public async Task A_snapshot_lost_to_a_power_cut_only_means_a_longer_replay()
    {
        // The snapshot store does not sync its commits; a power cut can lose its last ones (SQLite's WAL checksums
        // turn a torn commit into a missing one). The region's newest snapshot (four swaps, a snapshot every three
        // events) is gone: recovery starts from an older one or from the first event, and the journal has them all.
        var journal = JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db"));
        var lost = 0;
        await JournalRecovery.SwapsSurviveARestart(journal, () => lost = LoseLastSnapshot(journal));
        Assert.Equal(1, lost);
    }

    /// <summary>Deletes the newest snapshot of the region, as a power cut before its commit reached the disk would.</summary>
    private static int LoseLastSnapshot(JournalSettings journal)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(journal.SnapshotConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM snapshot WHERE sequence_number = (SELECT MAX(sequence_number) FROM snapshot)";
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
