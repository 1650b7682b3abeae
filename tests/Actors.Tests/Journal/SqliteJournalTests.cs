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

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
